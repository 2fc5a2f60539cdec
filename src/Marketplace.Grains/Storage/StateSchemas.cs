using System.Text.Json.Nodes;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Matching;

namespace Marketplace.Grains.Storage;

/// <summary>
/// The schema version of each stored state type, and the upgrades that bring a state stored in an older shape to the
/// current one. A state type registered here is stored with a top-level <c>schemaVersion</c>; one stored without it
/// (before versions existed) is version 1. To change a type's shape: raise its version and add the upgrade from the
/// previous version, which edits the stored JSON (a rename, a split, a default) before it is read as the new type.
/// </summary>
public sealed class StateSchemas
{
    private readonly Dictionary<Type, StateSchema> _schemas = [];

    /// <summary>The marketplace's stored state types, each at its current version.</summary>
    public static StateSchemas Default { get; } = new StateSchemas()
        .Register<Listing>(1)
        .Register<Demand>(1)
        // 2: DemandPages (the demand ids in pages apart, as the lots are; version 1 held them inline, which still reads).
        // Raised so that an older build refuses a firm whose demands are in pages rather than reading it as having none.
        .Register<Trader>(2, v1 => v1)
        .Register<MatchingSession>(1)
        // 2: Pages (absent in version 1: the record holds the members, as it still does for a cell of one page). Raised
        // so that an older build refuses a cell laid out in pages rather than reading it as a cell with no members.
        .Register<CellMembership>(2, v1 => v1)
        .Register<CellChanges>(1)
        // 2: an object of Entries and Pages (a page of an inbox stored in pages has the same shape). Version 1 was the
        // entries' dictionary itself, stored without a version: wrapped as the record's entries.
        .Register<MatchInboxIndex>(2, v1 => new JsonObject { ["entries"] = v1 });

    /// <summary>
    /// Registers <typeparamref name="T"/> at version <paramref name="current"/>; <paramref name="upgrades"/>[i] turns a
    /// state of version i + 1 into version i + 2, so there are <paramref name="current"/> − 1 of them.
    /// </summary>
    public StateSchemas Register<T>(int current, params Func<JsonObject, JsonObject>[] upgrades)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(current, 1);
        if (upgrades.Length != current - 1)
        {
            throw new ArgumentException($"{typeof(T).Name} at version {current} needs {current - 1} upgrades, not {upgrades.Length}.", nameof(upgrades));
        }

        _schemas[typeof(T)] = new StateSchema(current, upgrades);
        return this;
    }

    /// <summary>The schema of <paramref name="type"/>, when it is registered.</summary>
    public StateSchema? Of(Type type) => _schemas.GetValueOrDefault(type);
}

/// <summary>One state type's current version and its upgrades (index i: version i + 1 to i + 2).</summary>
public sealed record StateSchema(int Current, IReadOnlyList<Func<JsonObject, JsonObject>> Upgrades);
