// Si-Tanggap: "Use my location" fills the form's latitude and longitude from the phone's
// position (the browser asks the citizen first). Without script, or without a position, the
// citizen types them or leaves them empty: the form works either way.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("use-location");
    if (!button || !("geolocation" in navigator)) return;
    const state = document.getElementById("location-state");
    button.closest(".use-location").hidden = false;
    button.addEventListener("click", () => {
      state.textContent = button.dataset.busy;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition((position) => {
        document.getElementById("id_latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = position.coords.longitude.toFixed(6);
        state.textContent = button.dataset.done;
        button.disabled = false;
      }, () => {
        state.textContent = button.dataset.failed;
        button.disabled = false;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  });
})();
