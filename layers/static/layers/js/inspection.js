// The inspection form (/inspections/): the running total of the item scores, and the inspector's position from the
// browser's geolocation when the user allows it (kept with its accuracy; the inspection is saved without it else).
import { fmtInt } from "./format.js";

const form = document.querySelector("#inspect-form form");

function updateTotal() {
  const inputs = [...form.querySelectorAll("input[type=number][data-max]")];
  let total = 0;
  let max = 0;
  for (const input of inputs) {
    const value = Number(input.value);
    const top = Number(input.dataset.max);
    max += top;
    if (input.value !== "" && Number.isFinite(value)) total += value;
  }
  const output = form.querySelector("#in-total");
  output.textContent = `${fmtInt(total)} / ${fmtInt(max)}`;
}

function locate() {
  const status = form.querySelector("#in-position");
  if (form.querySelector("#in-lon").value) return;
  if (!("geolocation" in navigator)) {
    status.textContent = status.dataset.none;
    return;
  }
  status.textContent = status.dataset.waiting;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { longitude, latitude, accuracy } = position.coords;
      form.querySelector("#in-lon").value = longitude.toFixed(6);
      form.querySelector("#in-lat").value = latitude.toFixed(6);
      form.querySelector("#in-accuracy").value = Math.round(accuracy);
      status.textContent = status.dataset.found.replace("{m}", fmtInt(Math.round(accuracy)));
    },
    () => {
      status.textContent = status.dataset.none;
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

if (form) {
  form.addEventListener("input", updateTotal);
  updateTotal();
  const details = document.getElementById("inspect-form");
  if (details.open) locate();
  details.addEventListener("toggle", () => details.open && locate());
}
