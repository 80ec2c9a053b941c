using System.Diagnostics.Metrics;
using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class DurableDecisionLogTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-dlog-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ListLogger<DurableDecisionLog> _logger = new();

    private string DbPath => Path.Combine(_dir, "decisions.db");

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private DurableDecisionLog Create(DecisionLogOptions? options = null, TimeProvider? time = null)
    {
        options ??= new DecisionLogOptions();
        if (options.Path.Length == 0)
        {
            options.Path = DbPath;
        }

        options.FlushInterval = options.FlushInterval == new DecisionLogOptions().FlushInterval ? TimeSpan.Zero : options.FlushInterval;
        return new DurableDecisionLog(Options.Create(options), time ?? TimeProvider.System, _services.GetRequiredService<IMeterFactory>(), _logger);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    private static DecisionRow[] ReadAll(string path)
    {
        using var db = DecisionDatabase.OpenForReading(path);
        return [.. db.Read()];
    }

    [Fact]
    public async Task OnDecision_ThroughTheDecisionLog_EveryRecordWrittenInOrder()
    {
        var durable = Create();
        await durable.StartAsync(CancellationToken.None);
        var log = new DecisionLog(16, [durable]);
        var records = Enumerable.Range(0, 50).Select(i => DecisionRecords.Create(T0.AddMilliseconds(i), i)).ToArray();

        foreach (var record in records)
        {
            log.Add(record);
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var rows = ReadAll(DbPath);
        Assert.Equal(records.Select(r => r.Timestamp), rows.Select(r => r.Timestamp));
        Assert.Equal(records.Select(DurableDecisionLog.ToRow).Select(r => r.Features), rows.Select(r => r.Features));
        Assert.Equal((50, 0), (durable.Written, durable.Dropped));
        Assert.Equal(16, log.Snapshot().Count);
    }

    [Fact]
    public async Task Writer_RowsEqualToRowInEveryColumn()
    {
        // The writer binds from reused buffers and skips values equal to the previous row's; what
        // it stores must still be exactly ToRow's row (varying placements, fallbacks, outcomes and
        // statuses from row to row, and a second batch after the first).
        var durable = Create();
        await durable.StartAsync(CancellationToken.None);
        var records = Enumerable.Range(0, 40).Select(i => DecisionRecords.Create(T0.AddMilliseconds(i), i, success: i % 5 != 4)).ToArray();
        foreach (var record in records[..25])
        {
            durable.OnDecision(record);
        }

        await durable.FlushAsync(CancellationToken.None).WaitAsync(Bound);
        foreach (var record in records[25..])
        {
            durable.OnDecision(record);
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var rows = ReadAll(DbPath);
        Assert.Equal(records.Length, rows.Length);
        for (var i = 0; i < records.Length; i++)
        {
            var (expected, actual) = (DurableDecisionLog.ToRow(records[i]), rows[i]);
            Assert.Equal(expected.Features, actual.Features);
            Assert.Equal(expected.Mask, actual.Mask);
            Assert.Equal(expected.Candidates, actual.Candidates);
            Assert.Equal(expected with { Id = actual.Id, Features = actual.Features, Mask = actual.Mask, Candidates = actual.Candidates }, actual);
        }
    }

    [Fact]
    public async Task Writer_RecordThatCannotBeEncoded_DroppedAsInvalidAndTheRestOfItsBatchWritten()
    {
        // The request thread queues the record only; the writer encodes the batch, so a record it
        // cannot encode must cost that row alone, not the batch or the writer.
        var durable = Create();
        await durable.StartAsync(CancellationToken.None);
        var records = Enumerable.Range(0, 7).Select(i => DecisionRecords.Create(T0.AddMilliseconds(i), i)).ToArray();
        records[3] = records[3] with { Observation = null! };
        foreach (var record in records)
        {
            durable.OnDecision(record);
        }

        await durable.FlushAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(DurableDecisionLogState.Writing, durable.State);
        durable.OnDecision(DecisionRecords.Create(T0.AddMilliseconds(7), 7));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var rows = ReadAll(DbPath);
        Assert.Equal([.. records.Where((_, i) => i != 3).Select(r => r.Timestamp), T0.AddMilliseconds(7)], rows.Select(r => r.Timestamp));
        Assert.Equal((7, 1), (durable.Written, durable.Dropped));
    }

    [Theory]
    [InlineData(-5.0, 0)]
    [InlineData(0.0, 0)]
    [InlineData(0.999, 0)]
    [InlineData(1.0, 1)]
    [InlineData(1.7, 1)]
    [InlineData(99.99, 99)]
    public void WholeMilliseconds_TruncatesAndIsZeroUnderOne(double milliseconds, int expected)
    {
        // The writer ends a gather whose remainder is under 1 ms instead of waiting 0 ms in a loop.
        Assert.Equal(expected, DurableDecisionLog.WholeMilliseconds(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal(int.MaxValue, DurableDecisionLog.WholeMilliseconds(TimeSpan.MaxValue));
    }

    [Fact]
    public async Task Writer_ManyShortGathers_DoesNotSpin()
    {
        // Gathers of 0.95 ms (flush interval 1.9 ms), one record every 2 ms or more: a gather's
        // sub-millisecond remainder spun (Monitor.Wait of 0 ms, again and again) until 5 December
        // 21:40, about half of the writer's time here; now it ends the gather at once.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var durable = Create(new DecisionLogOptions { FlushInterval = TimeSpan.FromMilliseconds(1.9) });
        await durable.StartAsync(CancellationToken.None);
        durable.OnDecision(DecisionRecords.Create(T0, 0));
        await WaitUntilAsync(() => durable.Written == 1, "the first row is written");
        var before = WriterCpu();
        var wall = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= 150; i++)
        {
            durable.OnDecision(DecisionRecords.Create(T0.AddMilliseconds(i), i));
            Thread.Sleep(2);
        }

        await durable.FlushAsync(CancellationToken.None).WaitAsync(Bound);
        var cpu = WriterCpu() - before;
        var elapsed = wall.Elapsed;
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(151, durable.Written);
        Assert.True(cpu < elapsed * 0.25, $"the writer used {cpu.TotalMilliseconds:0.0} ms of CPU in {elapsed.TotalMilliseconds:0} ms");
    }

    // Run time of this process's "decision-log writer" threads (Linux schedstat, nanoseconds).
    private static TimeSpan WriterCpu()
    {
        long nanoseconds = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == "decision-log wr")
                {
                    nanoseconds += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The thread ended.
            }
        }

        return TimeSpan.FromTicks(nanoseconds / 100);
    }

    [Fact]
    public async Task OnDecision_WriterBlockedByALock_ReturnsAtOnceAndCountsDrops()
    {
        var durable = Create(new DecisionLogOptions { QueueCapacity = 16, BatchSize = 4 });
        await durable.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => durable.State == DurableDecisionLogState.Writing, "the log writes");

        // Another process holds the write lock: the writer's next insert waits on it.
        using var blocker = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();
        }

        var log = new DecisionLog(8, [durable]);
        var adding = Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                log.Add(DecisionRecords.Create(T0.AddMilliseconds(i), i));
            }
        });

        // Every Add returns while the writer is stuck: requests never wait for the disk.
        await adding.WaitAsync(Bound);
        Assert.True(durable.Dropped >= 500 - 16 - 4, $"dropped {durable.Dropped}");
        Assert.Equal(0, durable.Written);

        using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(500, durable.Written + durable.Dropped);
        Assert.Equal(durable.Written, ReadAll(DbPath).Length);
        Assert.True(durable.Written > 0);
    }

    [Fact]
    public async Task FlushInterval_RecordQueuedWhileABatchWaits_WrittenHalfAnIntervalAfterItArrived()
    {
        var time = new FakeTimeProvider(T0);
        var durable = Create(new DecisionLogOptions { FlushInterval = TimeSpan.FromSeconds(2) }, time);
        await durable.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => durable.State == DurableDecisionLogState.Writing, "the log writes");

        // (The real pauses let the writer reach its timer before the fake clock moves.)
        durable.OnDecision(DecisionRecords.Create(time.GetUtcNow(), 1));
        await Task.Delay(100);
        time.Advance(TimeSpan.FromMilliseconds(900));
        await Task.Delay(50);
        Assert.Equal(0, durable.Written);

        // Half the interval after the record arrived it is written, whatever else arrives meanwhile.
        durable.OnDecision(DecisionRecords.Create(time.GetUtcNow(), 2));
        time.Advance(TimeSpan.FromMilliseconds(100));
        await WaitUntilAsync(() => durable.Written == 2, "both rows are written at the first record's deadline");

        // A record queued while the writer was idle waits its own half interval, not more.
        durable.OnDecision(DecisionRecords.Create(time.GetUtcNow(), 3));
        await Task.Delay(100);
        time.Advance(TimeSpan.FromMilliseconds(999));
        await Task.Delay(50);
        Assert.Equal(2, durable.Written);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => durable.Written == 3, "the third row is written");
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(3, ReadAll(DbPath).Length);
    }

    [Fact]
    public async Task Retention_ByAge_OnTheInjectedClock()
    {
        var time = new FakeTimeProvider(T0);
        var durable = Create(new DecisionLogOptions { MaxAge = TimeSpan.FromHours(1) }, time);
        await durable.StartAsync(CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            durable.OnDecision(DecisionRecords.Create(time.GetUtcNow(), i));
        }

        await WaitUntilAsync(() => durable.Written == 10, "10 rows are written");
        time.Advance(TimeSpan.FromHours(2));
        for (var i = 0; i < 5; i++)
        {
            durable.OnDecision(DecisionRecords.Create(time.GetUtcNow(), i));
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var rows = ReadAll(DbPath);
        Assert.Equal(5, rows.Length);
        Assert.All(rows, r => Assert.Equal(T0.AddHours(2), r.Timestamp));
        Assert.Equal(10, durable.Pruned);
    }

    [Fact]
    public async Task Retention_ByRowsAndSize_KeepsTheNewestWithinBothLimits()
    {
        var durable = Create(new DecisionLogOptions { MaxRows = 1500, MaxSizeMegabytes = 1 });
        await durable.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3000; i++)
        {
            while (durable.Pending > 1000)
            {
                await Task.Delay(1);
            }

            durable.OnDecision(DecisionRecords.Create(T0.AddMilliseconds(i), i));
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        using var db = DecisionDatabase.OpenForReading(DbPath);
        Assert.True(db.UsedBytes() <= 1024 * 1024, $"used {db.UsedBytes()} bytes");
        var rows = db.Read().ToArray();
        Assert.InRange(rows.Length, 100, 1500);
        Assert.Equal(T0.AddMilliseconds(2999), rows[^1].Timestamp);
        Assert.Equal(3000, durable.Written);
    }

    [Fact]
    public async Task Start_CorruptFile_MovedAsideWithOneWarningAndANewLogWorks()
    {
        var garbage = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(DbPath, garbage);
        var time = new FakeTimeProvider(T0);
        var durable = Create(time: time);

        await durable.StartAsync(CancellationToken.None);
        durable.OnDecision(DecisionRecords.Create(T0));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var aside = Path.Combine(_dir, "decisions.db.corrupt-20261203T180000Z");
        Assert.Equal(garbage, File.ReadAllBytes(aside));
        Assert.Single(ReadAll(DbPath));
        var warning = Assert.Single(_logger.Warnings);
        Assert.Contains("corrupt", warning, StringComparison.Ordinal);
        Assert.Contains(aside, warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NewerSchema_StopsLoggingLeavesTheFileAndCountsDrops()
    {
        using (DecisionDatabase.OpenForWriting(DbPath))
        {
        }

        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 9;";
            command.ExecuteNonQuery();
        }

        var durable = Create();
        await durable.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => durable.State == DurableDecisionLogState.Stopped, "the log stops");
        durable.OnDecision(DecisionRecords.Create(T0));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Contains("schema version 9", durable.Problem, StringComparison.Ordinal);
        Assert.Contains("schema version 9", Assert.Single(_logger.Warnings), StringComparison.Ordinal);
        Assert.Equal(1, durable.Dropped);
        Assert.False(File.Exists(DbPath + ".corrupt-20261203T180000Z"));
        var ex = Assert.Throws<DecisionDatabaseException>(() => DecisionDatabase.OpenForReading(DbPath));
        Assert.Equal(DecisionDatabaseProblem.NewerSchema, ex.Problem);
    }

    [Fact]
    public async Task Start_ReadOnlyDirectory_StopsLoggingWithAWarningAndOnDecisionStillReturns()
    {
        string path;
        if (OperatingSystem.IsWindows() || Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root")
        {
            // Permission bits do not stop root; sysfs refuses new entries to everyone.
            path = "/sys/edgeagent-decision-log-test/decisions.db";
        }
        else
        {
            var readOnly = Path.Combine(_dir, "ro");
            Directory.CreateDirectory(readOnly);
            File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            path = Path.Combine(readOnly, "decisions.db");
        }

        var durable = Create(new DecisionLogOptions { Path = path });
        await durable.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => durable.State == DurableDecisionLogState.Stopped, "the log stops");
        for (var i = 0; i < 3; i++)
        {
            durable.OnDecision(DecisionRecords.Create(T0, i));
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(3, durable.Dropped);
        Assert.Contains(path, Assert.Single(_logger.Warnings), StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Disabled_NoFileAndNoQueue()
    {
        var durable = Create(new DecisionLogOptions { Enabled = false });
        await durable.StartAsync(CancellationToken.None);
        durable.OnDecision(DecisionRecords.Create(T0));
        await durable.DisposeAsync();

        Assert.Equal(DurableDecisionLogState.Off, durable.State);
        Assert.Null(durable.FilePath);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public async Task SetEnabled_PausedThenResumed_OnlyRecordsTakenWhileOnAreWritten()
    {
        var durable = Create();
        await durable.StartAsync(CancellationToken.None);
        var records = Enumerable.Range(0, 9).Select(i => DecisionRecords.Create(T0.AddMilliseconds(i), i)).ToArray();
        foreach (var record in records[..3])
        {
            durable.OnDecision(record);
        }

        durable.SetEnabled(false);
        Assert.Equal(DurableDecisionLogState.Off, durable.State);
        foreach (var record in records[3..5])
        {
            durable.OnDecision(record);
        }

        // What was queued before the pause is still written.
        await WaitUntilAsync(() => durable.Written == 3, "the records queued before the pause are written");
        durable.SetEnabled(true);
        foreach (var record in records[5..])
        {
            durable.OnDecision(record);
        }

        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        var rows = ReadAll(DbPath);
        Assert.Equal(records[..3].Concat(records[5..]).Select(r => r.Timestamp), rows.Select(r => r.Timestamp));
        Assert.Equal((7, 0), (durable.Written, durable.Dropped));
        Assert.Contains(_logger.Entries, e => e.Message.Contains("paused", StringComparison.Ordinal));
        Assert.Contains(_logger.Entries, e => e.Message.Contains("resumed", StringComparison.Ordinal));
        Assert.Empty(_logger.Warnings);
    }

    [Fact]
    public async Task SetEnabled_OffSinceStart_ResumeOpensTheFileAndWrites()
    {
        var durable = Create(new DecisionLogOptions { Enabled = false });
        await durable.StartAsync(CancellationToken.None);
        durable.OnDecision(DecisionRecords.Create(T0));
        Assert.Null(durable.FilePath);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));

        durable.SetEnabled(true);
        durable.OnDecision(DecisionRecords.Create(T0.AddSeconds(1), 1));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(DbPath, durable.FilePath);
        Assert.Equal([T0.AddSeconds(1)], ReadAll(DbPath).Select(r => r.Timestamp));
        Assert.Equal(1, durable.Written);
    }

    [Fact]
    public async Task SetEnabled_AfterAFailureStoppedTheLog_StaysStopped()
    {
        // A file where the database's directory should be: the log cannot open and stops.
        File.WriteAllText(Path.Combine(_dir, "sub"), "a file, not a directory");
        var durable = Create(new DecisionLogOptions { Path = Path.Combine(_dir, "sub", "x.db") });
        await durable.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => durable.State == DurableDecisionLogState.Stopped, "the log stops");

        durable.SetEnabled(false);
        durable.SetEnabled(true);
        durable.OnDecision(DecisionRecords.Create(T0));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(DurableDecisionLogState.Stopped, durable.State);
        Assert.Equal(0, durable.Written);
        Assert.Equal(1, durable.Dropped);
    }

    [Fact]
    public async Task ConfigurationReload_OfEnabled_PausesAndResumesTheLog()
    {
        // The agent's registration: options bound to configuration, the log built on the monitor.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DecisionLog:Path"] = DbPath,
            ["DecisionLog:Enabled"] = "true",
            ["DecisionLog:FlushInterval"] = "00:00:00",
        }).Build();
        using var services = new ServiceCollection().AddMetrics().AddSingleton<IConfiguration>(configuration)
            .AddOptions<DecisionLogOptions>().BindConfiguration(DecisionLogOptions.Section).Services.BuildServiceProvider();
        var durable = new DurableDecisionLog(services.GetRequiredService<IOptionsMonitor<DecisionLogOptions>>(), TimeProvider.System, services.GetRequiredService<IMeterFactory>(), _logger);
        await durable.StartAsync(CancellationToken.None);
        durable.OnDecision(DecisionRecords.Create(T0));
        await WaitUntilAsync(() => durable.Written == 1, "the first record is written");

        configuration["DecisionLog:Enabled"] = "false";
        configuration.Reload();
        Assert.False(durable.Enabled);
        durable.OnDecision(DecisionRecords.Create(T0.AddSeconds(1), 1));

        // A reload of other keys leaves the setting alone; Enabled back to true resumes.
        configuration["DecisionLog:MaxRows"] = "1000";
        configuration.Reload();
        Assert.False(durable.Enabled);
        configuration["DecisionLog:Enabled"] = "true";
        configuration.Reload();
        Assert.True(durable.Enabled);
        durable.OnDecision(DecisionRecords.Create(T0.AddSeconds(2), 2));
        await durable.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal([T0, T0.AddSeconds(2)], ReadAll(DbPath).Select(r => r.Timestamp));

        // Disposed: a later reload changes nothing.
        configuration["DecisionLog:Enabled"] = "false";
        configuration.Reload();
        Assert.True(durable.Enabled);
    }

    [Fact]
    public void ResolvePath_StateDirectorySystemdCacheAndExplicit()
    {
        static Func<string, string?> Env(params (string Key, string Value)[] vars) => key => vars.FirstOrDefault(v => v.Key == key).Value;
        var options = new DecisionLogOptions();

        Assert.Equal("/var/lib/edgeagent/decisions.db", options.ResolvePath(Env(("STATE_DIRECTORY", "/var/lib/edgeagent:/var/lib/other"), ("INVOCATION_ID", "x"))));
        Assert.Equal("/var/lib/edgeagent/decisions.db", options.ResolvePath(Env(("INVOCATION_ID", "x"), ("HOME", "/home/u"))));
        Assert.Equal("/home/u/.cache/edgeagent/state/decisions.db", options.ResolvePath(Env(("HOME", "/home/u"))));
        Assert.Equal("/xdg/edgeagent/state/decisions.db", options.ResolvePath(Env(("HOME", "/home/u"), ("XDG_CACHE_HOME", "/xdg"))));
        Assert.Equal(Path.Combine(_dir, "decisions.db"), new DecisionLogOptions { Path = _dir }.ResolvePath(Env()));
        Assert.Equal(Path.Combine(_dir, "x.sqlite"), new DecisionLogOptions { Path = Path.Combine(_dir, "x.sqlite") }.ResolvePath(Env()));
        // A name without an extension that does not exist yet is a directory (README: --decision-log /tmp/edgeagent-state).
        Assert.Equal(Path.Combine(_dir, "state", "decisions.db"), new DecisionLogOptions { Path = Path.Combine(_dir, "state") }.ResolvePath(Env()));
        File.WriteAllText(Path.Combine(_dir, "plainfile"), "");
        Assert.Equal(Path.Combine(_dir, "plainfile"), new DecisionLogOptions { Path = Path.Combine(_dir, "plainfile") }.ResolvePath(Env()));
    }

    [Theory]
    [InlineData(nameof(DecisionLogOptions.MaxSizeMegabytes), "DecisionLog:MaxSizeMegabytes")]
    [InlineData(nameof(DecisionLogOptions.MaxAge), "DecisionLog:MaxAge")]
    [InlineData(nameof(DecisionLogOptions.MaxRows), "DecisionLog:MaxRows")]
    [InlineData(nameof(DecisionLogOptions.QueueCapacity), "DecisionLog:QueueCapacity")]
    [InlineData(nameof(DecisionLogOptions.BatchSize), "DecisionLog:BatchSize")]
    [InlineData(nameof(DecisionLogOptions.FlushInterval), "DecisionLog:FlushInterval")]
    public void Validator_OutOfRange_NamesTheSetting(string property, string setting)
    {
        var options = new DecisionLogOptions();
        switch (property)
        {
            case nameof(DecisionLogOptions.MaxSizeMegabytes): options.MaxSizeMegabytes = 0.5; break;
            case nameof(DecisionLogOptions.MaxAge): options.MaxAge = TimeSpan.FromSeconds(1); break;
            case nameof(DecisionLogOptions.MaxRows): options.MaxRows = 10; break;
            case nameof(DecisionLogOptions.QueueCapacity): options.QueueCapacity = 0; break;
            case nameof(DecisionLogOptions.BatchSize): options.BatchSize = 0; break;
            default: options.FlushInterval = TimeSpan.FromMinutes(5); break;
        }

        var result = new DecisionLogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith(setting + " ", Assert.Single(result.Failures!), StringComparison.Ordinal);
        Assert.True(new DecisionLogOptionsValidator().Validate(null, new DecisionLogOptions()).Succeeded);
    }
}
