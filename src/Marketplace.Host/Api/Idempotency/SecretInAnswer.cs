using System.Text.Json.Nodes;

namespace Marketplace.Host.Api.Idempotency;

/// <summary>
/// Endpoint metadata: the answer carries a secret in a top-level JSON property that is shown once. The answer stored
/// for an idempotency key has it removed, and a replay says it was issued instead of repeating it.
/// </summary>
/// <param name="Property">The JSON property holding the secret, as written (camelCase).</param>
public sealed record SecretInAnswer(string Property)
{
    /// <summary>The property a replay carries in place of the secret, saying it was issued.</summary>
    public const string NoteProperty = "secretNote";

    /// <summary>The answer body without the secret (unchanged when it is not a JSON object carrying it).</summary>
    public byte[] Redact(byte[] body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }

        if (node is not JsonObject answer || !answer.ContainsKey(Property))
        {
            return body;
        }

        answer[Property] = null;
        answer[NoteProperty] = $"The {Property} was issued in the first answer to this request and is shown only once; it is not repeated.";
        return System.Text.Encoding.UTF8.GetBytes(answer.ToJsonString());
    }
}
