namespace Marketplace.Domain.Common;

/// <summary>Small helpers for messages written in English.</summary>
public static class English
{
    /// <summary>"An" before a word that starts with a vowel ("an accepted order"), otherwise "A".</summary>
    public static string Article(string word) => word.Length > 0 && "aeiouAEIOU".Contains(word[0], StringComparison.Ordinal) ? "An" : "A";
}
