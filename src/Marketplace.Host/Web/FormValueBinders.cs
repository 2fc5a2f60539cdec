using System.Globalization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web;

/// <summary>
/// Reads the pages' dates, times and check boxes strictly. MVC's own binders read a form's date in the request's
/// culture and take whatever that culture can make of it (<c>1,5</c> became 5 January under English), and a value they
/// cannot read only left an English message in the model state that a page could overlook, keeping the field's default
/// (a hold's "until" of <c>2026-02-30</c> became the default week). These accept what the browsers' inputs send (ISO
/// <c>yyyy-MM-dd</c>, <c>yyyy-MM-ddTHH:mm</c>) and the Finnish way of writing it by hand (<c>31.12.2026</c>,
/// <c>31.12.2026 16.00</c>); anything else is an error next to the field in the person's language.
/// </summary>
public sealed class FormValueBinderProvider : IModelBinderProvider
{
    /// <inheritdoc />
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        return type == typeof(DateOnly) || type == typeof(DateTime) || type == typeof(bool) ? new FormValueBinder(type) : null;
    }
}

/// <summary>The binder <see cref="FormValueBinderProvider"/> gives for one of its types.</summary>
public sealed class FormValueBinder(Type type) : IModelBinder
{
    private static readonly string[] DateFormats = ["yyyy-MM-dd", "d.M.yyyy"];

    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm",
        "d.M.yyyy H.mm", "d.M.yyyy H:mm", "d.M.yyyy 'klo' H.mm",
    ];

    /// <inheritdoc />
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var result = bindingContext.ValueProvider.GetValue(bindingContext.ModelName);
        if (result == ValueProviderResult.None)
        {
            return Task.CompletedTask;
        }

        bindingContext.ModelState.SetModelValue(bindingContext.ModelName, result);
        var text = result.FirstValue?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            // An empty date is "not given" (the page or the API says whether it is needed); an empty check box is an error.
            if (type != typeof(bool) && bindingContext.ModelMetadata.IsReferenceOrNullableType)
            {
                bindingContext.Result = ModelBindingResult.Success(null);
            }
            else
            {
                Refuse(bindingContext);
            }

            return Task.CompletedTask;
        }

        object? value = type == typeof(DateOnly)
            ? DateOnly.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null
            : type == typeof(DateTime)
                ? DateTime.TryParseExact(text, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null
                : text.ToLowerInvariant() switch
                {
                    "true" or "on" => true,
                    "false" or "off" => false,
                    _ => null,
                };
        if (value is null)
        {
            Refuse(bindingContext);
        }
        else
        {
            bindingContext.Result = ModelBindingResult.Success(value);
        }

        return Task.CompletedTask;
    }

    private void Refuse(ModelBindingContext context)
    {
        var text = context.HttpContext.RequestServices.GetRequiredService<IStringLocalizer<SharedText>>();
        var key = type == typeof(DateOnly) ? "form.date-invalid" : type == typeof(DateTime) ? "form.time-invalid" : "form.choice-invalid";
        if (type == typeof(bool))
        {
            // The page shown again would draw the check box from the sent value, converting it to a bool (a 500 for
            // "xxxx"): keep the text for the record only, so the box shows the model's value.
            var sent = context.ModelState[context.ModelName]?.AttemptedValue;
            context.ModelState.SetModelValue(context.ModelName, rawValue: null, attemptedValue: sent);
        }

        context.ModelState.TryAddModelError(context.ModelName, text[key]);
        context.Result = ModelBindingResult.Failed();
    }
}
