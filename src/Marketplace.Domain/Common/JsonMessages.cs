namespace Marketplace.Domain.Common;

/// <summary>System.Text.Json's error messages as callers should read them.</summary>
public static class JsonMessages
{
    /// <summary>
    /// The message without the serializer's " Path: $.x | LineNumber: 0 | BytePositionInLine: 7." tail: whoever quotes it
    /// says where itself (1-based), and a deeply nested line's path is as long as the line.
    /// </summary>
    public static string WithoutPosition(string message)
        => message.IndexOf(" Path:", StringComparison.Ordinal) is var cut and > 0 ? message[..cut] : message;
}
