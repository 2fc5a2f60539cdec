using System.Net;
using System.Text;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Api;

/// <summary>A form body the framework cannot decode is the caller's mistake: a 400 problem, not a 500.</summary>
[Collection(ApiCollection.Name)]
public class MalformedFormTests(ServerFixture fixture)
{
    [Theory]
    [InlineData("/connect/token", "grant_type=%00")]
    [InlineData("/connect/token", "grant_type=client_credentials&client_id=a%00b&client_secret=x")]
    [InlineData("/account/sign-in", "Input.Email=a%00@example.com&Input.Password=x")]
    public async Task FormWithANullCharacter_Is400Problem(string path, string form)
    {
        using var client = fixture.Server.Client();
        using var content = new StringContent(form, Encoding.ASCII, "application/x-www-form-urlencoded");
        var problem = await ProblemAsync(await client.PostAsync(path, content), HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains("could not be read", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
