#!/usr/bin/env bash
# Prepares and runs the WebGPU checks for a machine with a GPU and no network (the `device`
# tool of a session that is lent one): `build` bundles scripts/gpu-check.mjs with the @snn
# packages into .gpu-check/bench.mjs (one file) next to Dawn's Linux x64 addon from the
# `webgpu` package (about 25 MB in all, within what a device run carries); `run` runs it.
#
#   bash scripts/gpu-check.sh build        # here, after `pnpm build`
#   bash scripts/gpu-check.sh run          # there: the device tool runs it with carry [".gpu-check"]
#
# `run` needs only Node 20 and the GPU's Vulkan driver on that machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu-check
case "${1:-}" in
  build)
    esbuild=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
    webgpu=$(ls -d node_modules/.pnpm/webgpu@*/node_modules/webgpu | head -1)
    if [ -z "$esbuild" ] || [ -z "$webgpu" ]; then echo "gpu-check: run pnpm install and pnpm build first" >&2; exit 2; fi
    rm -rf "$out"
    mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
    # The bench's entry resolves the workspace packages through packages/bench's node_modules.
    cp scripts/gpu-check.mjs packages/bench/.gpu-check-entry.mjs
    trap 'rm -f packages/bench/.gpu-check-entry.mjs' EXIT
    "$esbuild" packages/bench/.gpu-check-entry.mjs --bundle --platform=node --format=esm --target=node20 \
      --external:webgpu --outfile="$out/bench.mjs" --log-level=warning \
      --banner:js="import { createRequire as __snnRequire } from 'node:module'; const require = __snnRequire(import.meta.url);"
    cp "$webgpu/package.json" "$webgpu/index.js" "$out/node_modules/webgpu/"
    cp "$webgpu/dist/linux-x64/dawn.node" "$out/node_modules/webgpu/dist/linux-x64/"
    cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the bundled WebGPU checks (see scripts/gpu-check.sh); OUT receives gpu-check.json.
cd "$(dirname "$0")"
# What Dawn can reach on this machine (its Vulkan loader, the GPU), for the report.
echo "node $(node --version); $(ldconfig -p 2>/dev/null | grep -c 'libvulkan.so.1') libvulkan.so.1 found; $(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || echo 'no nvidia-smi')"
exec node bench.mjs
RUN
    echo "gpu-check: $(du -sh "$out" | cut -f1) in $out; run it with: bash $out/run.sh"
    ;;
  run)
    exec bash "$out/run.sh"
    ;;
  *)
    echo "usage: bash scripts/gpu-check.sh build|run" >&2
    exit 2
    ;;
esac
