namespace EdgeAgent.Hardware.Power;

/// <summary>One source the probe looked for: whether it can be used here, and what it reads or why not.</summary>
/// <param name="Name">Source name as in <see cref="PowerOptions.SourceNames"/>.</param>
/// <param name="Kind">Measured or modelled.</param>
/// <param name="Available">True when the source opened and returned a reading (or will, for counters that prime).</param>
/// <param name="Detail">What the source reads, or why it is not available.</param>
public sealed record PowerSourceCandidate(string Name, PowerSourceKind Kind, bool Available, string Detail);

/// <summary>The probe's findings and the opened source it chose (owned by the caller).</summary>
public sealed record PowerProbeReport(IReadOnlyList<PowerSourceCandidate> Candidates, IPowerSource Selected);

/// <summary>
/// Lists the power sources this machine offers, in order of preference (Jetson INA3221 hwmon,
/// JetPack 4 IIO, a configured INA219, tegrastats, generic hwmon, RAPL, model), and opens the first
/// one available, or the one <see cref="PowerOptions.Source"/> forces. The model source is always
/// available, so a machine with nothing to read still gets (labelled) estimates.
/// </summary>
public static class PowerSourceProbe
{
    /// <summary>Probes the machine described by <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A forced source is not available; the message says why.</exception>
    public static PowerProbeReport Probe(PowerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Validate() is { } error)
        {
            throw new InvalidOperationException(error);
        }

        var root = options.SysfsRoot;
        var candidates = new List<PowerSourceCandidate>();
        IPowerSource? selected = null;

        void Consider(string name, PowerSourceKind kind, Func<(IPowerSource? Source, string Detail)> open)
        {
            var wanted = options.Source == "auto" ? selected is null : options.Source == name;
            IPowerSource? source;
            string detail;
            try
            {
                (source, detail) = open();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException
                or ArgumentException or System.ComponentModel.Win32Exception or PlatformNotSupportedException)
            {
                (source, detail) = (null, $"failed to open: {ex.Message}");
            }

            candidates.Add(new PowerSourceCandidate(name, kind, source is not null, source?.Description ?? detail));
            if (source is not null && wanted && selected is null)
            {
                selected = source;
            }
            else
            {
                source?.Dispose();
            }
        }

        Consider("ina3221-hwmon", PowerSourceKind.Measured, () =>
            Checked(Ina3221HwmonSource.Discover(root), "no INA3221 with a hwmon folder under /sys/bus/i2c/devices (not a JetPack 5/6 Jetson, or not readable)"));
        Consider("ina3221-iio", PowerSourceKind.Measured, () =>
            Checked(Ina3221IioSource.Discover(root), "no /sys/bus/i2c/drivers/ina3221x device (not a JetPack 4 Jetson)"));
        Consider("ina219", PowerSourceKind.Measured, () =>
        {
            if (options.Ina219Bus is not { } bus)
            {
                return (null, $"not configured ({PowerOptions.Section}:Ina219Bus unset)");
            }

            var device = SysfsAttribute.Under(root, $"/dev/i2c-{bus}");
            if (!File.Exists(device))
            {
                return (null, $"{device} does not exist (enable I2C, or check the bus number)");
            }

            var settings = new Ina219Settings { ShuntOhms = options.Ina219ShuntOhms, MaxCurrentAmperes = options.Ina219MaxCurrentAmperes };
            return Checked(Ina219PowerSource.Open(bus, options.Ina219Address, settings, options.Ina219Rail), "no reading");
        });
        Consider("tegrastats", PowerSourceKind.Measured, () =>
        {
            var executable = FindTegrastats(root);
            if (executable is null)
            {
                return (null, "tegrastats not found in /usr/bin or /usr/sbin");
            }

            if (options.Source != "tegrastats" && (selected is not null || options.Source != "auto"))
            {
                return (null, $"found at {executable}; not started because another source is in use");
            }

            return (TegrastatsSource.StartProcess(TimeSpan.FromMilliseconds(options.TegrastatsIntervalMs), time, executable), "");
        });
        Consider("hwmon", PowerSourceKind.Measured, () =>
            Primed(HwmonPowerSource.Discover(root, time), "no readable power*/energy* files under /sys/class/hwmon"));
        Consider("rapl", PowerSourceKind.Measured, () =>
        {
            var zones = RaplPowerSource.FindZones(root);
            if (zones.Count == 0)
            {
                return (null, "no /sys/class/powercap/intel-rapl:* zones");
            }

            return Primed(RaplPowerSource.Discover(root, time),
                $"{zones.Count} zone(s) present but energy_uj is not readable by this user (root-only on current kernels; see the udev rule in the Hardware README)");
        });
        Consider("model", PowerSourceKind.Modelled, () => (ModelPowerSource.FromCpuUtilisation(options.ResolveProfile(), root), ""));

        if (selected is null)
        {
            var reason = candidates.FirstOrDefault(c => c.Name == options.Source)?.Detail ?? "not found";
            throw new InvalidOperationException($"{PowerOptions.Section}:Source '{options.Source}' is not available on this machine: {reason}.");
        }

        return new PowerProbeReport(candidates, selected);
    }

    private static (IPowerSource?, string) Checked(IPowerSource? source, string absent)
    {
        if (source is null)
        {
            return (null, absent);
        }

        if (!source.TryRead(out _))
        {
            source.Dispose();
            return (null, $"found but a read failed: {source.Description}");
        }

        return (source, "");
    }

    // Counter-backed sources return false on their first read (it primes), so only the open is checked.
    private static (IPowerSource?, string) Primed(IPowerSource? source, string absent)
    {
        if (source is null)
        {
            return (null, absent);
        }

        source.TryRead(out _);
        return (source, "");
    }

    private static string? FindTegrastats(string root)
    {
        foreach (var folder in new[] { "/usr/bin", "/usr/sbin" })
        {
            var path = SysfsAttribute.Under(root, folder + "/tegrastats");
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
