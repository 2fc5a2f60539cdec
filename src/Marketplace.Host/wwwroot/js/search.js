// "Near me": with script and the person's permission, searches around the browser's location instead of a place.
(function () {
    var button = document.getElementById('near-me');
    if (!button || !navigator.geolocation) { return; }
    var status = document.getElementById('near-status');
    button.hidden = false;
    button.addEventListener('click', function () {
        status.textContent = button.getAttribute('data-locating');
        navigator.geolocation.getCurrentPosition(function (position) {
            document.getElementById('Near').value = position.coords.latitude.toFixed(5) + ',' + position.coords.longitude.toFixed(5);
            document.getElementById('Place').value = '';
            document.getElementById('Sort').value = 'distance';
            status.textContent = button.getAttribute('data-found');
            button.form.submit();
        }, function () {
            status.textContent = button.getAttribute('data-failed');
        }, { timeout: 10000 });
    });
})();
