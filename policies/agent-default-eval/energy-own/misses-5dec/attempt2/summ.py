import sys,re,glob,os
# summarise eval .out files: HV ratio per method, and rewards'-units worse-at list
for f in sorted(sum([glob.glob(a) for a in sys.argv[1:]],[])):
    t=open(f).read()
    name=os.path.basename(f)[:-4]
    hv={}
    for m in re.finditer(r'^\| (\S+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|',t,re.M):
        hv[m.group(1)]=m.group(4)
    worse={}
    sec=t.split("rewards' units: mean relative diff")
    if len(sec)>1:
        for m in re.finditer(r'^\| (\S+) \| ([-+\d.]+) \((\d+)/(\d+) of 101\) \| (.*) \|$',sec[1],re.M):
            worse[m.group(1)]=(m.group(2),m.group(5))
    print(name, ' '.join(f'{k}={v}' for k,v in hv.items()))
    for k,(d,w) in worse.items():
        if k in ('policy','agent-default'): print('   ',k,d,'worse at:',w)
