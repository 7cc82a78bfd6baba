// The order list's batch bar: "select this page" ticks every row's box; a running batch page polls by itself (htmx).
// Delegated on the document, once, so it survives htmx swapping the results in and out.
(function () {
  if (window.orderBatchReady) return;
  window.orderBatchReady = true;
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("select-page")) return;
    var form = box.closest("form");
    form.querySelectorAll('input[name="order_no"]').forEach(function (row) { row.checked = box.checked; });
  });
})();
