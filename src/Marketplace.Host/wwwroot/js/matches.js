// Live matches inbox: listens to the match stream (the page's own /matches/stream, which relays the API's server-sent
// events with the person's token) and, on every change, fetches the list again from the server and puts it in place.
// Without script the page is the same list; reloading shows what changed.
(function () {
    var inbox = document.getElementById('inbox');
    if (!inbox || !window.EventSource || !window.fetch) { return; }
    var status = document.getElementById('live-status');
    var refreshing = false, again = false;
    function refresh() {
        if (refreshing) { again = true; return; }
        refreshing = true;
        fetch(inbox.getAttribute('data-list'), { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
            .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
            .then(function (html) {
                inbox.innerHTML = html;
                status.textContent = status.getAttribute('data-arrived');
            })
            .catch(function () { })
            .then(function () { refreshing = false; if (again) { again = false; refresh(); } });
    }
    var source = new EventSource(inbox.getAttribute('data-stream'));
    source.addEventListener('match', refresh);
    source.addEventListener('open', function () { inbox.setAttribute('data-live', 'true'); });
})();
