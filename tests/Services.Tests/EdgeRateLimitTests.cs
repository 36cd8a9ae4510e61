using System.Net;
using Platform.Gateway.Hosting;

namespace Platform.Services.Tests;

/// <summary>Who a caller without a token is to the gateway's rate limits: its address, an IPv6 one by its /64.</summary>
public sealed class EdgeRateLimitTests
{
    [Theory]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]  // same /64: one budget
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]                   // next /64: its own
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]                          // IPv4 over an IPv6 socket
    [InlineData("192.0.2.7", "192.0.2.7")]
    public void A_caller_is_counted_by_its_address_and_an_IPv6_one_by_its_64_prefix(string address, string counted) =>
        Assert.Equal(counted, EdgeRateLimits.AddressOf(IPAddress.Parse(address)));
}
