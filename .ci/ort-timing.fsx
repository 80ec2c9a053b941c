// Independent timing: ONNX Runtime called directly (none of EdgeAgent's code), a float model against its
// quantized variant, full optimisation, round-robin runs, p50 ratio. Needs the CLI built in Release.
// Usage: dotnet fsi .ci/ort-timing.fsx FP32.onnx VARIANT.onnx 1x3x640x640 RUNS THREADS
#r "../src/EdgeAgent.Cli/bin/Release/net10.0/Microsoft.ML.OnnxRuntime.dll"
open Microsoft.ML.OnnxRuntime
open System
open System.Diagnostics
let args = fsi.CommandLineArgs |> Array.skip 1
let fp, q, shape, runs, threads = args.[0], args.[1], args.[2].Split('x') |> Array.map int, int args.[3], int args.[4]
let session (path:string) =
    let so = new SessionOptions()
    so.GraphOptimizationLevel <- GraphOptimizationLevel.ORT_ENABLE_ALL
    so.IntraOpNumThreads <- threads
    so.InterOpNumThreads <- 1
    so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0")
    new InferenceSession(path, so)
let rnd = Random(1)
let n = shape |> Array.fold (*) 1
let data = Array.init n (fun _ -> float32 (rnd.NextDouble() * 2.0 - 1.0))
let input = new Tensors.DenseTensor<float32>(Memory<float32>(data), ReadOnlySpan<int>(shape))
let time (s: InferenceSession) =
    let name = s.InputMetadata.Keys |> Seq.head
    let sw = Stopwatch.StartNew()
    use r = s.Run([NamedOnnxValue.CreateFromTensor(name, input)])
    sw.Elapsed.TotalMilliseconds
let a, b = session fp, session q
for _ in 1..3 do time a |> ignore; time b |> ignore
let ta, tb = ResizeArray(), ResizeArray()
for _ in 1..runs do ta.Add(time a); tb.Add(time b)
let p50 (x: ResizeArray<float>) = let s = x |> Seq.sort |> Seq.toArray in s.[s.Length / 2]
printfn "fp32 p50 %.2f ms, int8 p50 %.2f ms, ratio %.2fx (%d runs each, %d thread(s))" (p50 ta) (p50 tb) (p50 ta / p50 tb) runs threads
