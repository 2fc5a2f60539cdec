// The lot form follows the taxonomy: the unit list offers only the chosen category's units, and the mass field shows
// the category's typical mass for the chosen unit. Without script every unit is offered and the server says which fit.
(function () {
    var category = document.getElementById('Form_Category');
    var unit = document.getElementById('Form_Unit');
    var mass = document.getElementById('Form_MassPerUnitKg');
    if (!category || !unit) { return; }
    function apply() {
        var option = category.options[category.selectedIndex];
        var units = option && option.dataset.units ? option.dataset.units.split(' ') : null;
        var firstAllowed = null;
        Array.prototype.forEach.call(unit.options, function (o) {
            var allowed = !units || units.indexOf(o.value) >= 0;
            o.hidden = !allowed;
            o.disabled = !allowed;
            if (allowed && firstAllowed === null) { firstAllowed = o; }
        });
        if (unit.selectedOptions.length === 0 || unit.selectedOptions[0].disabled) {
            if (firstAllowed) { unit.value = firstAllowed.value; }
        }
        if (mass) {
            var typical = {};
            (option && option.dataset.mass ? option.dataset.mass.split(' ') : []).forEach(function (pair) {
                var kv = pair.split('=');
                if (kv.length === 2) { typical[kv[0]] = kv[1]; }
            });
            mass.placeholder = typical[unit.value] ? typical[unit.value].replace('.', document.documentElement.lang === 'fi' ? ',' : '.') : '';
        }
    }
    category.addEventListener('change', apply);
    unit.addEventListener('change', apply);
    apply();
})();
