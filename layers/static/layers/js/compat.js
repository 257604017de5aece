// Compatibility of Leaflet.VectorGrid 1.3.0 with the Leaflet 1.9 that django-leaflet ships.
const L = window.L;

// Leaflet 1.8 removed L.DomEvent.fakeStop, which VectorGrid's canvas tiles call when a feature is clicked.
// Leaflet 1.9 reads `_stopped` on the original DOM event to stop propagating a click to further targets,
// which is what fakeStop did in Leaflet 1.7 (stop the map from also handling it, let dragging go on).
if (L && L.DomEvent && typeof L.DomEvent.fakeStop !== "function") {
  L.DomEvent.fakeStop = function (e) {
    e._stopped = true;
    return this;
  };
}
