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

    [Fact]
    public void CopyInto_NonFiniteValue_RefusedNamingTensorAndElementAndLeavesTheNetworkAsItWas()
    {
        // train --resume of a damaged or diverged file continued on NaN weights (entropy 0, actor
        // loss 0) and wrote another NaN policy.
        var source = new ServerSetNetwork(new ServerSetShape(3, Hidden: 8), new Random(1));
        var target = new ServerSetNetwork(new ServerSetShape(3, Hidden: 8), new Random(2));
        var tensors = TensorFile.FromParameters(source.Parameters).ToDictionary(t => t.Name);
        var before = target.Parameters.Select(p => p.Value.ToArray()).ToList();
        var last = target.Parameters.Last(p => p.Value.Length > 3);
        tensors[last.Name].Data[3] = float.NaN;

        var e = Assert.Throws<InvalidDataException>(() => TensorFile.CopyInto(tensors, target.Parameters));

        Assert.Equal($"Tensor '{last.Name}' holds NaN at element 3 of {last.Value.Length}: the file is damaged or the training that wrote it diverged.", e.Message);
        Assert.Equal(before, target.Parameters.Select(p => p.Value.ToArray()).ToList());
    }
}
