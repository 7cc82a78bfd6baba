// The manual order form's product picker: "选用" puts the SKU code into the first empty line (or a new one)
// and moves to its quantity. Delegated on the document, once, so it survives htmx swaps.
(function () {
  if (window.productPickerReady) return;
  window.productPickerReady = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.pick-sku");
    if (!button) return;
    var inputs = Array.prototype.slice.call(document.querySelectorAll('#order-lines input[name$="-sku"]'));
    var empty = inputs.filter(function (input) { return !input.value.trim(); })[0];
    if (!empty) return;
    empty.value = button.dataset.sku;
    var quantity = document.getElementsByName(empty.name.replace(/-sku$/, "-quantity"))[0];
    if (quantity) { if (!quantity.value) quantity.value = "1"; quantity.focus(); }
  });
})();
