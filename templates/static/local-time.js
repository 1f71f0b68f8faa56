// Shows each <time data-local> in the visitor's own time zone on hover.
// A static file under `script-src 'self'`: cached pages need no per-request nonce.
document.querySelectorAll("time[data-local]").forEach(function (el) {
  var when = new Date(el.getAttribute("datetime"));
  if (isNaN(when)) { return; }
  el.title = "Your time: " + when.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
});
