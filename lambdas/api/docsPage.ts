/**
 * The interactive API page at /v1/docs: reads /v1/openapi.json and lets a
 * person fill parameters and run each endpoint. Self-contained, no CDN.
 */
export const DOCS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Tidemark API</title>
<style>
body{margin:0;font:14px/1.5 system-ui,sans-serif;background:#0d1117;color:#d6dde6}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}a{color:#58a6ff}
.op{border:1px solid #263040;border-radius:8px;margin:12px 0;background:#131a24}
.op>summary{cursor:pointer;padding:10px 14px;list-style:none;display:flex;gap:12px;align-items:baseline}
.get{font:600 12px monospace;color:#0d1117;background:#3fb950;border-radius:4px;padding:2px 6px}
.path{font-family:monospace;color:#e6edf3}.sum{color:#8b96a5}
.body{padding:0 14px 14px}label{display:flex;gap:8px;align-items:center;margin:4px 0;font-family:monospace}
label span{min-width:120px}input{background:#0d1117;border:1px solid #263040;color:#d6dde6;border-radius:4px;padding:4px 6px;width:320px}
button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:6px 12px;cursor:pointer;margin-top:8px}
pre{background:#0d1117;border:1px solid #263040;border-radius:6px;padding:10px;overflow:auto;max-height:420px}
small{color:#8b96a5}
</style></head><body><main>
<h1>Tidemark API</h1><p class="sum" id="desc"></p><p><a href="/v1/openapi.json">openapi.json</a> · <a href="/">dashboard</a></p>
<div id="ops"></div></main>
<script>
fetch("/v1/openapi.json").then(r=>r.json()).then(doc=>{
  document.getElementById("desc").textContent=doc.info.description+" (version "+doc.info.version+")";
  const ops=document.getElementById("ops");
  for(const [path,item] of Object.entries(doc.paths)){
    const op=item.get;const d=document.createElement("details");d.className="op";
    const s=document.createElement("summary");
    s.innerHTML='<span class="get">GET</span><span class="path"></span><span class="sum"></span>';
    s.children[1].textContent=path;s.children[2].textContent=op.summary;d.appendChild(s);
    const b=document.createElement("div");b.className="body";
    if(op.description){const p=document.createElement("p");p.textContent=op.description;b.appendChild(p);}
    const inputs=[];
    for(const prm of op.parameters||[]){
      const l=document.createElement("label");l.innerHTML="<span></span><input><small></small>";
      l.children[0].textContent=prm.name;l.children[2].textContent=prm.description;
      inputs.push([prm.name,l.children[1]]);b.appendChild(l);
    }
    const btn=document.createElement("button");btn.textContent="Run";const out=document.createElement("pre");out.hidden=true;
    btn.onclick=async()=>{const q=new URLSearchParams();for(const [n,i] of inputs) if(i.value) q.set(n,i.value);
      const url=path+(q.size?"?"+q:"");const r=await fetch(url);out.hidden=false;
      out.textContent="GET "+url+"  →  "+r.status+"\\n\\n"+JSON.stringify(await r.json(),null,2);};
    b.appendChild(btn);b.appendChild(out);d.appendChild(b);ops.appendChild(d);
  }
});
</script></body></html>`;
