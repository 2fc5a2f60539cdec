using Marketplace.Domain.Orders;

namespace Marketplace.Grains.Orders;

/// <summary>A firm's orders as buyer and seller (key: the trader id): an index of the order grains, which are the record.</summary>
public interface IOrderIndexGrain : IGrainWithStringKey
{
    /// <summary>Records an order's status; a report older than the one recorded is ignored.</summary>
    Task RecordAsync(OrderIndexEntry entry);

    /// <summary>Order ids, newest first, filtered by role (<c>buyer</c>, <c>seller</c>) and status code when given.</summary>
    Task<IReadOnlyList<string>> ListAsync(string? role, string? status);
}

/// <summary>The platform's invoice numbers for one year (key: the year, e.g. <c>2026</c>): consecutive, one per order.</summary>
public interface IInvoiceNumberGrain : IGrainWithStringKey
{
    /// <summary>The order's invoice number and references; the same order always gets the same number.</summary>
    Task<InvoiceIssue> IssueAsync(string orderId);
}

/// <summary>The platform's open invoices (key <c>platform</c>), so overdue ones can be listed without reading every order.</summary>
public interface IInvoiceRegisterGrain : IGrainWithStringKey
{
    /// <summary>Records an invoice's state; a report older than the one recorded is ignored.</summary>
    Task RecordAsync(InvoiceRegisterEntry entry);

    /// <summary>Ids of orders whose open invoice was due before <paramref name="today"/>, of one seller or all.</summary>
    Task<IReadOnlyList<string>> OverdueAsync(string? sellerId, DateOnly today);
}
