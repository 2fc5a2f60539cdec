using System.Text;
using System.Text.Json;
using Marketplace.Domain.Webhooks;

namespace Marketplace.Grains.Webhooks;

/// <summary>The JSON body of a delivery: <c>{"id", "type", "time", "version", "resource"}</c>.</summary>
public static class WebhookEnvelope
{
    /// <summary>The envelope of <paramref name="e"/>.</summary>
    public static string Body(OutboxEvent e) => Write(e.Id, e.Type, e.Time, e.Version, e.Resource);

    /// <summary>The envelope of a test ping for subscription <paramref name="subscriptionId"/>.</summary>
    public static string Ping(string eventId, string subscriptionId, DateTimeOffset time)
        => Write(eventId, WebhookEventTypes.Ping, time, 0, JsonSerializer.SerializeToElement(new { subscriptionId }));

    private static string Write(string id, string type, DateTimeOffset time, long version, JsonElement resource)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteString("type", type);
            writer.WriteString("time", time.ToUniversalTime());
            writer.WriteNumber("version", version);
            writer.WritePropertyName("resource");
            resource.WriteTo(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
