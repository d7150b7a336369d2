// Ombud board: a little plain JavaScript, served by the server itself.
// - The queue's filters apply as soon as a choice changes.
// - The queue reloads every minute (time left, new tickets, flags fired by the timers),
//   unless someone is typing in a filter.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var filters = document.getElementById("filters");
  if (!filters) return;
  filters.querySelectorAll("select").forEach(function (s) {
    s.addEventListener("change", function () { filters.submit(); });
  });
  setInterval(function () {
    var a = document.activeElement;
    if (a && filters.contains(a) && a.tagName === "INPUT") return;
    window.location.reload();
  }, 60000);
});
