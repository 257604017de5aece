#!/usr/bin/env bash
# Copies the pinned front-end files from node_modules into layers/static/layers/vendor/ (committed; no CDN, no build step).
#
#   npm ci && scripts/vendor.sh
#
# Versions come from package.json / package-lock.json; VERSIONS.md beside the copies is rewritten from them.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=layers/static/layers/vendor
# package  file-in-package  destination-under-vendor
FILES=(
  "leaflet.vectorgrid dist/Leaflet.VectorGrid.bundled.min.js leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
  # The planner's management-area editor (draw, edit vertices, drag, cut, snapping); bundles its turf/polyclip deps.
  # The source maps are copied too: the files name them (sourceMappingURL), and a hashed static storage needs them.
  "@geoman-io/leaflet-geoman-free dist/leaflet-geoman.min.js leaflet-geoman/leaflet-geoman.min.js"
  "@geoman-io/leaflet-geoman-free dist/leaflet-geoman.min.js.map leaflet-geoman/leaflet-geoman.min.js.map"
  "@geoman-io/leaflet-geoman-free dist/leaflet-geoman.css leaflet-geoman/leaflet-geoman.css"
  "@geoman-io/leaflet-geoman-free dist/leaflet-geoman.css.map leaflet-geoman/leaflet-geoman.css.map"
  # Dashboard charts (trend, ranking).
  "echarts dist/echarts.min.js echarts/echarts.min.js"
  # Heatmap of uncovered households on the map.
  "leaflet.heat dist/leaflet-heat.js leaflet.heat/leaflet-heat.js"
  # The phone app's outbox in IndexedDB (an ES module, imported as is).
  "idb build/index.js idb/index.js"
  # The phone app's service worker: workbox-sw loads the other modules from this folder (modulePathPrefix).
  "workbox-sw build/workbox-sw.js workbox/workbox-sw.js"
  "workbox-sw build/workbox-sw.js.map workbox/workbox-sw.js.map"
  "workbox-core build/workbox-core.prod.js workbox/workbox-core.prod.js"
  "workbox-core build/workbox-core.prod.js.map workbox/workbox-core.prod.js.map"
  "workbox-precaching build/workbox-precaching.prod.js workbox/workbox-precaching.prod.js"
  "workbox-precaching build/workbox-precaching.prod.js.map workbox/workbox-precaching.prod.js.map"
  "workbox-routing build/workbox-routing.prod.js workbox/workbox-routing.prod.js"
  "workbox-routing build/workbox-routing.prod.js.map workbox/workbox-routing.prod.js.map"
  "workbox-strategies build/workbox-strategies.prod.js workbox/workbox-strategies.prod.js"
  "workbox-strategies build/workbox-strategies.prod.js.map workbox/workbox-strategies.prod.js.map"
  "workbox-expiration build/workbox-expiration.prod.js workbox/workbox-expiration.prod.js"
  "workbox-expiration build/workbox-expiration.prod.js.map workbox/workbox-expiration.prod.js.map"
)

mkdir -p "$VENDOR"
[ -d node_modules ] || { echo "node_modules missing: run 'npm ci' first" >&2; exit 1; }

version_of() { node -p "require('./node_modules/$1/package.json').version"; }

{
  echo "# Vendored front-end files"
  echo
  echo "Copied from the npm registry packages pinned in package.json / package-lock.json by \`scripts/vendor.sh\`."
  echo "Do not edit these files; bump the version in package.json, run \`npm install\` then \`scripts/vendor.sh\`."
  echo
  echo "Leaflet itself is not vendored here: django-leaflet $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("django-leaflet"))' 2>/dev/null || echo '?') ships it"
  echo "(static/leaflet/leaflet.js, Leaflet $(cat .venv/lib/python3*/site-packages/leaflet/static/leaflet/leaflet.js 2>/dev/null | sed -n 's/.*Leaflet \([0-9.]*\),.*/\1/p' | head -1))."
  echo
  echo "| file | package | version | licence | sha256 |"
  echo "|---|---|---|---|---|"
  for entry in "${FILES[@]}"; do
    read -r pkg src dest <<<"$entry"
    mkdir -p "$VENDOR/$(dirname "$dest")"
    cp "node_modules/$pkg/$src" "$VENDOR/$dest"
    echo "| \`$dest\` | \`$pkg\` (\`$src\`) | $(version_of "$pkg") | $(node -p "require('./node_modules/$pkg/package.json').license") | \`$(sha256sum "$VENDOR/$dest" | cut -c1-16)…\` |"
  done
} > "$VENDOR/VERSIONS.md.tmp"
mv "$VENDOR/VERSIONS.md.tmp" "$VENDOR/VERSIONS.md"
echo "vendored into $VENDOR:"
cat "$VENDOR/VERSIONS.md"
