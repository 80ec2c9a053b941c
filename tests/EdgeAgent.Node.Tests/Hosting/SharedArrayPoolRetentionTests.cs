using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Node.Tests.Hosting;

/// <summary>
/// <see cref="SharedArrayPoolRetention.Apply"/>'s contract with the environment: an operator's own
/// setting wins and is left in place; otherwise the variable is set only while the pool reads it
/// and is gone afterwards, so processes the node starts keep the runtime's default. (Whether the
/// pool then keeps more arrays is a property of the runtime, counted in bench hop's runs.)
/// </summary>
public sealed class SharedArrayPoolRetentionTests
{
    [Fact]
    public void Apply_WithoutOperatorSetting_LeavesTheEnvironmentAsItWas()
    {
        var saved = Environment.GetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable, null);

            Assert.Null(SharedArrayPoolRetention.Apply());
            Assert.Null(Environment.GetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void Apply_WithOperatorSetting_ReturnsItAndKeepsIt()
    {
        var saved = Environment.GetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable, "17");

            Assert.Equal("17", SharedArrayPoolRetention.Apply());
            Assert.Equal("17", Environment.GetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SharedArrayPoolRetention.EnvironmentVariable, saved);
        }
    }
}
