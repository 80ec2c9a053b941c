// Validates every manifest of a kustomization folder against the Kubernetes API schemas shipped by
// the kubernetes-models package (offline: the schemas are compiled into the package), strictly:
// besides types, required fields and enums, a field the schema does not define is an error (the
// API server drops or refuses those; kubectl --validate=strict refuses them). Also checks that
// kustomization.yaml lists exactly the manifests in the folder.
//
//   node validate.mjs DIR [--dump FILE]     exit 0: all valid; 1: problems (one line each); 2: usage
//
// Unknown fields: the compiled validators read every property their schema defines (and every key
// of a map); a key of the manifest that no validator read is one the schema does not define. Each
// object is wrapped in a Proxy that records the keys read.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const dir = args[0];
const dumpIndex = args.indexOf("--dump");
const dump = dumpIndex >= 0 ? args[dumpIndex + 1] : null;
if (!dir || (dumpIndex >= 0 && !dump)) {
  console.error("usage: node validate.mjs DIR [--dump FILE]");
  process.exit(2);
}

const problems = [];
const documents = [];
let checked = 0;

// The fields of a kustomization this folder may use (kustomize's Kustomization type has more; a
// typo such as "resource" must not pass as an unknown extra).
const kustomizationFields = new Set([
  "apiVersion", "kind", "metadata", "namespace", "namePrefix", "nameSuffix", "labels", "commonLabels",
  "commonAnnotations", "resources", "images", "replicas", "patches", "configMapGenerator", "secretGenerator",
  "generatorOptions", "components",
]);

function readYaml(file) {
  const text = fs.readFileSync(file, "utf8");
  const docs = parseAllDocuments(text);
  const result = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      problems.push(`${path.basename(file)}: not YAML: ${doc.errors[0].message.split("\n")[0]}`);
      continue;
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) result.push(value);
  }
  return result;
}

function checkKustomization() {
  const file = path.join(dir, "kustomization.yaml");
  if (!fs.existsSync(file)) {
    problems.push(`${dir}: no kustomization.yaml`);
    return [];
  }
  const [k] = readYaml(file);
  if (!k || typeof k !== "object") {
    problems.push("kustomization.yaml: empty");
    return [];
  }
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization") {
    problems.push(`kustomization.yaml: apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization, not ${k.apiVersion} ${k.kind}`);
  }
  for (const key of Object.keys(k)) {
    if (!kustomizationFields.has(key)) problems.push(`kustomization.yaml: unknown field '${key}'`);
  }
  const resources = Array.isArray(k.resources) ? k.resources : [];
  const listed = new Set();
  for (const r of resources) {
    if (typeof r !== "string") {
      problems.push(`kustomization.yaml: resources entry ${JSON.stringify(r)} is not a file name`);
      continue;
    }
    if (listed.has(r)) problems.push(`kustomization.yaml: resources lists ${r} twice`);
    listed.add(r);
    if (!fs.existsSync(path.join(dir, r))) problems.push(`kustomization.yaml: resources lists ${r}, which does not exist`);
  }
  const present = fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
  for (const f of present) {
    if (!listed.has(f)) problems.push(`kustomization.yaml: resources does not list ${f}`);
  }
  return resources.filter(r => typeof r === "string" && fs.existsSync(path.join(dir, r)));
}

function modelPath(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? `v1` : `${apiVersion.slice(0, slash)}/${apiVersion.slice(slash + 1)}`;
}

async function loadValidator(apiVersion, kind) {
  let model;
  try {
    model = await import(`kubernetes-models/${modelPath(apiVersion)}/${kind}`);
  } catch {
    return null;
  }
  const ctor = model[kind];
  if (!ctor) return null;
  // The model's own schema, compiled into _schemas; the class only wraps it.
  const source = fs.readFileSync(new URL(import.meta.resolve(`kubernetes-models/${modelPath(apiVersion)}/${kind}`)), "utf8");
  const match = source.match(/_schemas\/([A-Za-z0-9]+)\.js/);
  if (!match) return null;
  const schema = await import(`kubernetes-models/_schemas/${match[1]}`);
  return schema.validate;
}

function tracked(value, seen, pointer) {
  if (value === null || typeof value !== "object") return value;
  const read = new Set();
  seen.push({ value, read, pointer });
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") read.add(key);
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || child === null || typeof child !== "object") return child;
      if (!children.has(key)) children.set(key, tracked(child, seen, `${pointer}/${key}`));
      return children.get(key);
    },
  });
}

function describe(error) {
  const where = error.instancePath || "/";
  const params = error.params ?? {};
  switch (error.keyword) {
    case "required": return `${where}: missing required field '${params.missingProperty}'`;
    case "type": return `${where}: must be ${params.type}`;
    case "enum": return `${where}: must be one of ${JSON.stringify(params.allowedValues)}`;
    default: return `${where}: ${error.message ?? error.keyword} ${JSON.stringify(params)}`;
  }
}

const files = checkKustomization();
for (const file of files) {
  for (const doc of readYaml(path.join(dir, file))) {
    checked++;
    documents.push({ file, doc });
    const label = `${file}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}`;
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      problems.push(`${label}: no apiVersion or kind`);
      continue;
    }
    const validate = await loadValidator(doc.apiVersion, doc.kind);
    if (!validate) {
      problems.push(`${label}: ${doc.apiVersion} ${doc.kind} is not a Kubernetes API type`);
      continue;
    }
    const seen = [];
    const ok = validate(tracked(doc, seen, ""));
    // The compiled validators collect all errors (they read every property even past a failure),
    // so unknown fields are reported beside type errors.
    if (!ok) {
      for (const error of validate.errors ?? []) problems.push(`${label}: ${describe(error)}`);
    }
    for (const { value, read, pointer } of seen) {
      if (Array.isArray(value)) continue;
      for (const key of Object.keys(value)) {
        if (!read.has(key)) problems.push(`${label}: ${pointer || "/"}: unknown field '${key}'`);
      }
    }
  }
}

// References between the manifests: what the API schemas cannot see, and what breaks a rollout.
function matches(selector, labels) {
  return selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
const docs = documents.map(d => d.doc).filter(d => d && typeof d === "object");
const workloads = docs.filter(d => ["Deployment", "DaemonSet", "StatefulSet"].includes(d.kind));
const named = (kind, name) => docs.some(d => d.kind === kind && d.metadata?.name === name);
for (const w of workloads) {
  const label = `${w.kind} ${w.metadata?.name}`;
  const pod = w.spec?.template?.spec ?? {};
  if (!matches(w.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels)) {
    problems.push(`${label}: spec.selector.matchLabels does not match the pod template's labels`);
  }
  const volumes = new Map((pod.volumes ?? []).map(v => [v.name, v]));
  for (const v of volumes.values()) {
    if (v.configMap && !named("ConfigMap", v.configMap.name)) problems.push(`${label}: volume ${v.name} names ConfigMap ${v.configMap.name}, which no manifest defines`);
    if (v.persistentVolumeClaim && !named("PersistentVolumeClaim", v.persistentVolumeClaim.claimName)) problems.push(`${label}: volume ${v.name} names PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}, which no manifest defines`);
  }
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) problems.push(`${label}: container ${c.name} mounts volume ${m.name}, which the pod does not define`);
    }
    const ports = new Map((c.ports ?? []).map(p => [p.name, p.containerPort]));
    const numbers = new Set(ports.values());
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const port = c[probe]?.grpc?.port;
      if (port !== undefined && !numbers.has(port)) problems.push(`${label}: container ${c.name} ${probe} probes port ${port}, which the container does not declare`);
    }
  }
}
for (const s of docs.filter(d => d.kind === "Service")) {
  const target = workloads.find(w => matches(s.spec?.selector, w.spec?.template?.metadata?.labels));
  if (!target) {
    problems.push(`Service ${s.metadata?.name}: its selector matches no workload's pods`);
    continue;
  }
  const names = new Set((target.spec.template.spec.containers ?? []).flatMap(c => (c.ports ?? []).map(p => p.name)));
  for (const p of s.spec?.ports ?? []) {
    if (typeof p.targetPort === "string" && !names.has(p.targetPort)) problems.push(`Service ${s.metadata?.name}: targetPort ${p.targetPort} is no named port of ${target.kind} ${target.metadata?.name}`);
  }
}
for (const h of docs.filter(d => d.kind === "HorizontalPodAutoscaler")) {
  const ref = h.spec?.scaleTargetRef ?? {};
  if (!named(ref.kind, ref.name)) problems.push(`HorizontalPodAutoscaler ${h.metadata?.name}: scaleTargetRef ${ref.kind} ${ref.name} is not defined here`);
}
for (const b of docs.filter(d => d.kind === "PodDisruptionBudget")) {
  if (!workloads.some(w => matches(b.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels))) problems.push(`PodDisruptionBudget ${b.metadata?.name}: its selector matches no workload's pods`);
}

if (dump) fs.writeFileSync(dump, JSON.stringify(documents, null, 1));
for (const p of problems) console.error(p);
console.log(`kubernetes manifests: ${checked} documents in ${files.length} files, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
