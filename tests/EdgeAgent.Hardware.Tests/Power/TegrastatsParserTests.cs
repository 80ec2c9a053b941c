using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class TegrastatsParserTests
{
    // Lines in the formats tegrastats prints on each JetPack generation.
    private const string OrinNanoJetPack5 =
        "RAM 2448/7620MB (lfb 1x4MB) SWAP 0/3810MB (cached 0MB) CPU [2%@729,1%@729,0%@729,0%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] VIC_FREQ 115 APE 200 cpu@47.5C soc2@46.5C soc0@46.906C gpu@46.312C tj@47.5C soc1@46.25C VDD_IN 4742mW/4742mW VDD_CPU_GPU_CV 482mW/482mW VDD_SOC 1329mW/1329mW";

    private const string AgxOrinJetPack6 =
        "11-22-2026 17:20:01 RAM 5523/62841MB (lfb 4x4MB) SWAP 0/31421MB (cached 0MB) CPU [1%@1728,0%@1728,0%@1728,0%@1728,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201,0%@2201] GR3D_FREQ 0% cpu@45.843C soc2@42.062C VDD_GPU_SOC 3180mW/3180mW VDD_CPU_CV 795mW/795mW VIN_SYS_5V0 3327mW/3327mW VDDQ_VDD2_1V8AO 503mW/503mW";

    private const string NanoJetPack4 =
        "RAM 1780/3964MB (lfb 89x4MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) CPU [9%@102,7%@102,5%@102,4%@102] EMC_FREQ 3%@1600 GR3D_FREQ 0%@76 APE 25 PLL@24C CPU@25.5C PMIC@100C GPU@25C AO@31.5C thermal@25.25C POM_5V_IN 933/933 POM_5V_GPU 0/0 POM_5V_CPU 123/123";

    private const string XavierNxJetPack4 =
        "RAM 3015/7765MB (lfb 1x4MB) SWAP 0/3882MB (cached 0MB) CPU [3%@1190,1%@1190,off,off,off,off] EMC_FREQ 0% GR3D_FREQ 0% AO@36.5C GPU@35.5C PMIC@100C AUX@35.5C CPU@37C thermal@36.1C VDD_IN 3924/3924 VDD_CPU_GPU_CV 489/489 VDD_SOC 1142/1142";

    [Fact]
    public void TryParseSample_OrinNanoJetPack5_ReadsMilliwattRailsAndVddInTotal()
    {
        Assert.True(TegrastatsParser.TryParseSample(OrinNanoJetPack5, out var sample));
        Assert.Equal(["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"], sample.Rails.Select(r => r.Name));
        Assert.Equal(4.742, sample.TotalWatts, 9);
        Assert.Equal(1.329, sample.Rails[2].Watts, 9);
    }

    [Fact]
    public void TryParseSample_AgxOrinJetPack6_SumsRailsWithoutVddIn()
    {
        Assert.True(TegrastatsParser.TryParseSample(AgxOrinJetPack6, out var sample));
        Assert.Equal(4, sample.Rails.Count);
        Assert.Equal(3.180 + 0.795 + 3.327 + 0.503, sample.TotalWatts, 9);
    }

    [Fact]
    public void TryParseSample_NanoJetPack4UnitLess_ReadsMilliwattsAndIgnoresMemoryFields()
    {
        Assert.True(TegrastatsParser.TryParseSample(NanoJetPack4, out var sample));
        Assert.Equal(["POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"], sample.Rails.Select(r => r.Name));
        Assert.Equal(0.933, sample.TotalWatts, 9);
    }

    [Fact]
    public void TryParseSample_XavierNxJetPack4_UsesVddIn()
    {
        Assert.True(TegrastatsParser.TryParseSample(XavierNxJetPack4, out var sample));
        Assert.Equal(3, sample.Rails.Count);
        Assert.Equal(3.924, sample.TotalWatts, 9);
    }

    [Theory]
    [InlineData("")]
    [InlineData("RAM 2448/7620MB (lfb 1x4MB) SWAP 0/3810MB (cached 0MB) CPU [2%@729,off]")]
    [InlineData("VDD_IN 4742mW/4742")]
    public void TryParse_NoRails_ReturnsFalse(string line)
    {
        Assert.False(TegrastatsParser.TryParse(line, out var rails));
        Assert.Empty(rails);
    }

    [Fact]
    public async Task TegrastatsSource_ReaderLines_LatestLineIsTheReadingUntilItAges()
    {
        var time = new FakeTimeProvider();
        using var source = new TegrastatsSource(new StringReader(NanoJetPack4 + "\n" + "garbage\n" + OrinNanoJetPack5 + "\n"), time, TimeSpan.FromSeconds(1));
        await source.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, source.ParsedLines);
        Assert.True(source.TryRead(out var sample));
        Assert.Equal(4.742, sample.TotalWatts, 9);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(source.TryRead(out _));
    }
}
