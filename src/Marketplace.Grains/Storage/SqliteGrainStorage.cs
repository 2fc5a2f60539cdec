using System.Diagnostics;
using Marketplace.Grains.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Orleans grain storage over the embedded SQLite file. Each grain's state is one JSON row whose integer ETag
/// increases with every write; a write carrying an old ETag is refused with <see cref="InconsistentStateException"/>.
/// </summary>
public sealed class SqliteGrainStorage(SqliteDatabase database, IOptions<ClusterOptions> cluster, IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly string _serviceId = cluster.Value.ServiceId;

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("read", stateName, grainId);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, payload FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g";
        AddKey(command, stateName, grainId);
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync())
        {
            grainState.ETag = reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.State = serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1)));
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
        }
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("write", stateName, grainId);
        var payload = serializer.Serialize(grainState.State).ToArray();
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        AddKey(command, stateName, grainId);
        command.Parameters.AddWithValue("$p", payload);
        command.Parameters.AddWithValue("$u", DateTimeOffset.UtcNow.ToString("O"));
        if (grainState.ETag is null)
        {
            command.CommandText = """
                INSERT INTO grain_state (service_id, state_name, grain_id, etag, payload, updated_at)
                VALUES ($s, $n, $g, 1, $p, $u) ON CONFLICT DO NOTHING
                """;
        }
        else
        {
            command.CommandText = "UPDATE grain_state SET etag = etag + 1, payload = $p, updated_at = $u WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e";
            command.Parameters.AddWithValue("$e", ParseETag(grainState.ETag));
        }

        if (await command.ExecuteNonQueryAsync() == 0)
        {
            span?.SetStatus(ActivityStatusCode.Error, "etag-conflict");
            throw await ConflictAsync(connection, stateName, grainId, grainState.ETag);
        }

        grainState.ETag = grainState.ETag is null ? "1" : (ParseETag(grainState.ETag) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("clear", stateName, grainId);
        if (grainState.ETag is not null)
        {
            await using var connection = database.Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e";
            AddKey(command, stateName, grainId);
            command.Parameters.AddWithValue("$e", ParseETag(grainState.ETag));
            if (await command.ExecuteNonQueryAsync() == 0)
            {
                span?.SetStatus(ActivityStatusCode.Error, "etag-conflict");
            throw await ConflictAsync(connection, stateName, grainId, grainState.ETag);
            }
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    /// <summary>A client span for one statement, named as OpenTelemetry's database conventions ask; null when nobody listens.</summary>
    private static Activity? StartSpan(string operation, string stateName, GrainId grainId)
    {
        var span = MarketplaceTracing.Source.StartActivity($"sqlite {operation} {stateName}", ActivityKind.Client);
        span?.SetTag("db.system.name", "sqlite");
        span?.SetTag("db.operation.name", operation);
        span?.SetTag("orleans.storage.state_name", stateName);
        span?.SetTag("orleans.grain.id", grainId.ToString());
        return span;
    }

    private void AddKey(SqliteCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$g", grainId.ToString());
    }

    private async Task<InconsistentStateException> ConflictAsync(SqliteConnection connection, string stateName, GrainId grainId, string? expected)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g";
        AddKey(command, stateName, grainId);
        var stored = await command.ExecuteScalarAsync();
        var storedETag = stored is long l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(none)";
        return new InconsistentStateException(
            $"State '{stateName}' of {grainId} was changed by another writer: stored ETag {storedETag}, this write expected {expected ?? "(new)"}.",
            storedETag,
            expected ?? "(new)");
    }

    private static long ParseETag(string etag)
        => long.TryParse(etag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InconsistentStateException($"ETag '{etag}' was not issued by the SQLite storage.", "(unknown)", etag);
}
