using System.Diagnostics;
using System.Net;
using System.Text;

namespace Marketplace.Host.Tests;

/// <summary>The built host (<c>Marketplace.Host.dll</c>) running in its own process, to be killed or asked to stop as an operator would.</summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything the process wrote to standard output and error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code of a process that has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Runs one of the host's commands (<c>seed</c>, <c>clients</c>, ...) to its end, as an operator would; fails if it takes longer than <paramref name="within"/>.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(IEnumerable<string> args, TimeSpan within)
    {
        using var command = Start(args);
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await command._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the command did not end in {within.TotalSeconds:F0} s: {command.Output}");
        }

        // The asynchronous output readers finish after the process has exited.
        command._process.WaitForExit();
        return (command.ExitCode, command.Output);
    }

    /// <summary>Starts the host with these settings and waits until <c>/health/ready</c> answers 200 at <paramref name="address"/>.</summary>
    public static async Task<HostProcess> StartAsync(IEnumerable<string> settings, Uri address)
    {
        var host = Start(settings);
        try
        {
            await host.WaitReadyAsync(address);
        }
        catch
        {
            // A host that never got ready is not left running behind a failed test.
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>Starts the host with these settings without waiting for it.</summary>
    public static HostProcess Start(IEnumerable<string> settings)
    {
        var folder = HostOutputFolder();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(folder, "Marketplace.Host.dll"));
        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        return new HostProcess(Process.Start(start)!);
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (by default at most 90 s), failing if the process exits first.</summary>
    public async Task WaitReadyAsync(Uri address, TimeSpan? within = null)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"the host exited: {Output}");
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.True(deadline.Elapsed < (within ?? TimeSpan.FromSeconds(90)), $"the host did not get ready in {deadline.Elapsed.TotalSeconds:F0} s: {Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush, no commit.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: asks the host to stop, as <c>docker stop</c> or Kubernetes would.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to end; true when it did within <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>The host project's own build output (same configuration as these tests).</summary>
    private static string HostOutputFolder()
    {
        var testFolder = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var configuration = new DirectoryInfo(testFolder).Parent!.Name;
        var root = new DirectoryInfo(testFolder);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Marketplace.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var folder = Path.Combine(root!.FullName, "src", "Marketplace.Host", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(folder, "Marketplace.Host.dll")), $"build the host first: no {folder}/Marketplace.Host.dll");
        return folder;
    }
}
