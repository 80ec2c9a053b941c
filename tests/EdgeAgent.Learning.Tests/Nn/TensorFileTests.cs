using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class TensorFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eann-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SaveLoad_Network_RoundTripsShapeAndOutputs()
    {
        var random = new Random(21);
        var network = new ServerSetNetwork(new ServerSetShape(5, Hidden: 8, EncoderBlocks: 2, HeadBlocks: 0, Slope: 0.02f), random, outputScale: 1.0);
        var path = Path.Combine(_directory, "net.bin");

        network.Save(path);
        var loaded = ServerSetNetwork.Load(path);

        Assert.Equal(network.Shape, loaded.Shape);
        var servers = GradientCheck.RandomArray(random, 3 * 5);
        float[] mask = [1, 1, 0];
        float[] pref = [0.3f, 0.7f];
        var a = new float[3];
        var b = new float[3];
        network.Forward(servers, mask, pref, 1, network.CreateWorkspace(1, 3), a);
        loaded.Forward(servers, mask, pref, 1, loaded.CreateWorkspace(1, 3), b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Read_WrongMagic_SaysItIsNotATensorFile()
    {
        var path = Path.Combine(_directory, "x.bin");
        File.WriteAllText(path, "hello world");
        var e = Assert.Throws<InvalidDataException>(() => TensorFile.Read(path));
        Assert.Contains("Not an EdgeAgent tensor file", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OtherVersion_NamesBothVersions()
    {
        using var stream = new MemoryStream();
        stream.Write("EANN"u8);
        stream.Write(BitConverter.GetBytes(99));
        stream.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => TensorFile.Read(stream));
        Assert.Contains("version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TruncatedFile_SaysTruncated()
    {
        var network = new ServerSetNetwork(new ServerSetShape(3, Hidden: 8), new Random(1));
        var path = Path.Combine(_directory, "net.bin");
        network.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 40)]);

        var e = Assert.Throws<InvalidDataException>(() => ServerSetNetwork.Load(path));

        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopyInto_ShapeMismatch_NamesTensorAndShapes()
    {
        var small = new ServerSetNetwork(new ServerSetShape(3, Hidden: 8), new Random(1));
        var large = new ServerSetNetwork(new ServerSetShape(3, Hidden: 16), new Random(1));
        var tensors = TensorFile.FromParameters(small.Parameters).ToDictionary(t => t.Name);

        var e = Assert.Throws<InvalidDataException>(() => TensorFile.CopyInto(tensors, large.Parameters));

        Assert.Contains("encoder.in.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("[5,8]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CopyInto_MissingTensor_SaysWhichOne()
    {
        var network = new ServerSetNetwork(new ServerSetShape(3, Hidden: 8), new Random(1));
        var e = Assert.Throws<InvalidDataException>(() => TensorFile.CopyInto(new Dictionary<string, StoredTensor>(), network.Parameters));
        Assert.Contains("encoder.in.weight", e.Message, StringComparison.Ordinal);
    }
}
