// Tanggap: a citizen's location as a point on a map (Leaflet, served by the desk; tiles from
// TANGGAP_MAP_TILES). The case panel is re-rendered on live events, so new map elements are
// picked up as they appear.
(function () {
  "use strict";
  if (!window.L) return;
  function draw(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    const at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
    if (!isFinite(at[0]) || !isFinite(at[1])) return;
    const map = window.L.map(el, {scrollWheelZoom: false}).setView(at, 16);
    window.L.tileLayer(el.dataset.tiles, {maxZoom: 19, attribution: el.dataset.attribution})
      .addTo(map);
    window.L.marker(at).addTo(map);
  }
  function drawAll() { document.querySelectorAll("[data-map]").forEach(draw); }
  drawAll();
  new MutationObserver(drawAll).observe(document.body, {childList: true, subtree: true});
})();
