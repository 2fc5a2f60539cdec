using Marketplace.Domain.Orders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Marketplace.Payments.Invoice;

namespace Marketplace.Grains.Orders;

/// <summary>A firm's orders by role and status; written on every change it records (orders change a few times in their life).</summary>
public sealed class OrderIndexGrain(
    [PersistentState("orders", StorageOptions.StoreName)] IPersistentState<Dictionary<string, OrderIndexEntry>> state) : Grain, IOrderIndexGrain
{
    /// <inheritdoc />
    public async Task RecordAsync(OrderIndexEntry entry)
    {
        if (state.State.TryGetValue(entry.OrderId, out var known) && known.Version >= entry.Version)
        {
            return;
        }

        state.State[entry.OrderId] = entry;
        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync(string? role, string? status)
        => Task.FromResult<IReadOnlyList<string>>(state.State.Values
            .Where(e => (role is null || e.Role == role) && (status is null || e.Status == status))
            .OrderByDescending(e => e.PlacedAt).ThenBy(e => e.OrderId, StringComparer.Ordinal)
            .Select(e => e.OrderId)
            .ToArray());
}

/// <summary>Stored state of <see cref="InvoiceNumberGrain"/>.</summary>
public sealed class InvoiceSequence
{
    /// <summary>The last number issued this year.</summary>
    public long Last { get; set; }

    /// <summary>The number each order got, so that a retried acceptance gets the same one.</summary>
    public Dictionary<string, long> ByOrder { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Consecutive invoice numbers per year (<c>2026-000001</c>); the Finnish reference is the year and the number with
/// its 7-3-1 check digit, and the RF form is derived from it.
/// </summary>
public sealed class InvoiceNumberGrain(
    [PersistentState("invoice-numbers", StorageOptions.StoreName)] IPersistentState<InvoiceSequence> state) : Grain, IInvoiceNumberGrain
{
    /// <inheritdoc />
    public async Task<InvoiceIssue> IssueAsync(string orderId)
    {
        if (!state.State.ByOrder.TryGetValue(orderId, out var number))
        {
            number = state.State.Last + 1;
            state.State.Last = number;
            state.State.ByOrder[orderId] = number;
            await state.WriteOrReloadAsync();
        }

        var year = this.GetPrimaryKeyString();
        var reference = ReferenceNumbers.Finnish($"{year}{number:000000}");
        return new InvoiceIssue($"{year}-{number:000000}", reference, ReferenceNumbers.Creditor(reference));
    }
}

/// <summary>The platform's invoices that are still owed, with their due dates.</summary>
public sealed class InvoiceRegisterGrain(
    [PersistentState("invoices", StorageOptions.StoreName)] IPersistentState<Dictionary<string, InvoiceRegisterEntry>> state) : Grain, IInvoiceRegisterGrain
{
    /// <inheritdoc />
    public async Task RecordAsync(InvoiceRegisterEntry entry)
    {
        var known = state.State.GetValueOrDefault(entry.OrderId);
        if (known is not null && known.Version >= entry.Version)
        {
            return;
        }

        if (entry.Open)
        {
            state.State[entry.OrderId] = entry;
        }
        else if (known is null)
        {
            return;
        }
        else
        {
            state.State.Remove(entry.OrderId);
        }

        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> OverdueAsync(string? sellerId, DateOnly today)
        => Task.FromResult<IReadOnlyList<string>>(state.State.Values
            .Where(e => e.DueDate < today && (sellerId is null || e.SellerId == sellerId))
            .OrderBy(e => e.DueDate).ThenBy(e => e.OrderId, StringComparer.Ordinal)
            .Select(e => e.OrderId)
            .ToArray());
}
