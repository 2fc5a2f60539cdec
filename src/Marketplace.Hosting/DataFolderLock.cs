namespace Marketplace.Hosting;

/// <summary>
/// One process at a time per embedded data folder: the host holds <see cref="FileName"/> there, opened without sharing
/// (an advisory lock other processes see), for as long as it runs, and <c>restore</c> takes it before it replaces
/// anything. The search index's own lock did not keep a restore off a running host's folder.
/// </summary>
public static class DataFolderLock
{
    /// <summary>The lock file's name in the data folder.</summary>
    public const string FileName = ".in-use";

    /// <summary>The held lock, or null when another process (or this one) holds it.</summary>
    public static FileStream? TryAcquire(string folder)
    {
        Directory.CreateDirectory(folder);
        try
        {
            return new FileStream(Path.Combine(folder, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The held lock; <see cref="DataFolderInUseException"/> when it is held elsewhere.</summary>
    public static FileStream Acquire(string folder)
        => TryAcquire(folder) ?? throw new DataFolderInUseException(folder);
}

/// <summary>The data folder is in use by another host or command.</summary>
public sealed class DataFolderInUseException(string folder)
    : InvalidOperationException($"The data folder '{folder}' is in use by another host or command. Stop it first, or give this one its own --DataPath.");
