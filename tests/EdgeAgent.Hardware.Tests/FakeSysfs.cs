namespace EdgeAgent.Hardware.Tests;

/// <summary>
/// A throw-away folder laid out like a machine's /sys, /proc and /dev, with device folders under
/// /sys/devices and symbolic links from /sys/bus and /sys/class as the kernel makes them.
/// </summary>
internal sealed class FakeSysfs : IDisposable
{
    public FakeSysfs()
    {
        Root = Path.Join(Path.GetTempPath(), "edgeagent-sysfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string absolute) => Path.Join(Root, absolute.TrimStart('/'));

    public void Write(string absolute, string content)
    {
        var path = PathOf(absolute);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content + "\n");
    }

    public void Link(string absoluteLink, string absoluteTarget)
    {
        var link = PathOf(absoluteLink);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateDirectory(PathOf(absoluteTarget));
        var relative = Path.GetRelativePath(Path.GetDirectoryName(link)!, PathOf(absoluteTarget));
        Directory.CreateSymbolicLink(link, relative);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Fake trees of real boards, laid out from the kernel's ina3221 documentation and NVIDIA's device trees.</summary>
internal static class Boards
{
    private const string OrinI2c = "/sys/devices/platform/bus@0/c240000.i2c/i2c-1";

    /// <summary>One INA3221 on the hwmon driver: i2c device folder, name, hwmon folder with all its files.</summary>
    public static string AddIna3221Hwmon(FakeSysfs fs, string busAddr, int hwmonNumber, (string Label, int MilliVolts, int MilliAmps)[] channels)
    {
        var device = $"{OrinI2c}/{busAddr}";
        fs.Write($"{device}/name", "ina3221");
        fs.Write($"{device}/modalias", "of:Nina3221T(null)Cti,ina3221");
        var hwmon = $"{device}/hwmon/hwmon{hwmonNumber}";
        fs.Write($"{hwmon}/name", "ina3221");
        fs.Write($"{hwmon}/update_interval", "1104");
        fs.Write($"{hwmon}/samples", "4");
        for (var n = 1; n <= 3; n++)
        {
            var (label, mv, ma) = channels[n - 1];
            fs.Write($"{hwmon}/in{n}_label", label);
            fs.Write($"{hwmon}/in{n}_enable", label == "NC" ? "0" : "1");
            fs.Write($"{hwmon}/in{n}_input", label == "NC" ? "0" : mv.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{hwmon}/curr{n}_input", label == "NC" ? "0" : ma.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{hwmon}/curr{n}_crit", "4000");
            fs.Write($"{hwmon}/curr{n}_max", "3000");
            fs.Write($"{hwmon}/shunt{n}_resistor", "5000");
            // Shunt voltages (uV) in 4..6: not rails.
            fs.Write($"{hwmon}/in{n + 3}_input", "4800");
        }

        // The summation channel: shunt-voltage sum and current sum. Must not be read as a rail.
        fs.Write($"{hwmon}/in7_input", "40000");
        fs.Write($"{hwmon}/curr4_input", "9999");
        fs.Write($"{hwmon}/curr4_crit", "9999");
        fs.Link($"/sys/bus/i2c/devices/{busAddr}", device);
        fs.Link($"/sys/bus/i2c/drivers/ina3221/{busAddr}", device);
        fs.Link($"/sys/class/hwmon/hwmon{hwmonNumber}", hwmon);
        return hwmon;
    }

    private static void AddCommonI2c(FakeSysfs fs)
    {
        // Adapters and other chips also live in /sys/bus/i2c/devices.
        fs.Write($"{OrinI2c}/name", "3160000.i2c");
        fs.Link("/sys/bus/i2c/devices/i2c-1", OrinI2c);
        fs.Write("/sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0050/name", "24c02");
        fs.Link("/sys/bus/i2c/devices/1-0050", "/sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0050");
        fs.Write("/sys/devices/platform/pwm-fan/hwmon/hwmon0/name", "pwmfan");
        fs.Write("/sys/devices/platform/pwm-fan/hwmon/hwmon0/pwm1", "0");
        fs.Link("/sys/class/hwmon/hwmon0", "/sys/devices/platform/pwm-fan/hwmon/hwmon0");
    }

    /// <summary>Jetson Orin Nano (JetPack 5/6): one INA3221 at 1-0040 with VDD_IN, VDD_CPU_GPU_CV, VDD_SOC.</summary>
    public static string OrinNano(FakeSysfs fs)
    {
        AddCommonI2c(fs);
        fs.Write("/proc/device-tree/model", "NVIDIA Jetson Orin Nano Developer Kit\0");
        return AddIna3221Hwmon(fs, "1-0040", 1, [("VDD_IN", 5096, 1000), ("VDD_CPU_GPU_CV", 5096, 96), ("VDD_SOC", 5096, 280)]);
    }

    /// <summary>Jetson AGX Orin: INA3221 at 1-0040 (VDD_GPU_SOC, VDD_CPU_CV, VIN_SYS_5V0) and 1-0041 (NC, VDDQ_VDD2_1V8AO, NC); no VDD_IN.</summary>
    public static void AgxOrin(FakeSysfs fs)
    {
        AddCommonI2c(fs);
        fs.Write("/proc/device-tree/model", "Jetson AGX Orin\0");
        AddIna3221Hwmon(fs, "1-0040", 2, [("VDD_GPU_SOC", 19752, 160), ("VDD_CPU_CV", 19752, 40), ("VIN_SYS_5V0", 4984, 664)]);
        AddIna3221Hwmon(fs, "1-0041", 3, [("NC", 0, 0), ("VDDQ_VDD2_1V8AO", 4984, 96), ("NC", 0, 0)]);
    }

    /// <summary>Jetson Nano on JetPack 4: ina3221x IIO driver at 6-0040 with POM_5V_IN, POM_5V_GPU, POM_5V_CPU.</summary>
    public static string JetPack4Nano(FakeSysfs fs, int inMw = 2467, int gpuMw = 0, int cpuMw = 493)
    {
        const string device = "/sys/devices/7000c400.i2c/i2c-6/6-0040";
        fs.Write($"{device}/name", "ina3221x");
        var iio = $"{device}/iio:device0";
        fs.Write($"{iio}/name", "ina3221x");
        fs.Write($"{iio}/running_mode", "1");
        string[] rails = ["POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"];
        int[] mw = [inMw, gpuMw, cpuMw];
        for (var n = 0; n < 3; n++)
        {
            fs.Write($"{iio}/rail_name_{n}", rails[n]);
            fs.Write($"{iio}/in_power{n}_input", mw[n].ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{iio}/in_voltage{n}_input", "5000");
            fs.Write($"{iio}/in_current{n}_input", (mw[n] / 5).ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{iio}/crit_current_limit_{n}", "4000");
            fs.Write($"{iio}/warn_current_limit_{n}", "3000");
        }

        fs.Link("/sys/bus/i2c/drivers/ina3221x/6-0040", device);
        fs.Link("/sys/bus/i2c/devices/6-0040", device);
        fs.Link("/sys/bus/iio/devices/iio:device0", iio);
        fs.Write("/proc/device-tree/model", "NVIDIA Jetson Nano Developer Kit\0");
        return iio;
    }

    /// <summary>An x86 host with RAPL: package-0 (with core and uncore subzones), dram subzone, optionally psys.</summary>
    public static void RaplHost(FakeSysfs fs, long packageUj, long dramUj, long range = 262143328850, long? psysUj = null)
    {
        const string powercap = "/sys/devices/virtual/powercap/intel-rapl";
        void Zone(string folder, string name, long energy)
        {
            var path = $"{powercap}/{folder}";
            fs.Write($"{path}/name", name);
            fs.Write($"{path}/energy_uj", energy.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{path}/max_energy_range_uj", range.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fs.Write($"{path}/enabled", "1");
            fs.Link($"/sys/class/powercap/{Path.GetFileName(folder)}", path);
        }

        Zone("intel-rapl:0", "package-0", packageUj);
        Zone("intel-rapl:0/intel-rapl:0:0", "core", packageUj / 2);
        Zone("intel-rapl:0/intel-rapl:0:1", "uncore", 1000);
        Zone("intel-rapl:0/intel-rapl:0:2", "dram", dramUj);
        if (psysUj is { } psys)
        {
            Zone("intel-rapl:1", "psys", psys);
        }
    }

    public static void SetRapl(FakeSysfs fs, string folder, long microjoules) =>
        fs.Write($"/sys/class/powercap/{folder}/energy_uj", microjoules.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
