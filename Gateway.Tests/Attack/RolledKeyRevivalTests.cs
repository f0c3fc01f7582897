using System.Net;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Attack;

/// <summary>
/// Attack: after a roll, PATCH the old key's <c>expiresAt</c> later (or to null) to revive it past its grace. Contract
/// section 8: the old key is refused as <c>key_expired</c> after the grace, so the roll's deadline can only be brought
/// forward; a later or cleared one is 409 <c>key_already_rolled</c> and the key stays refused.
/// </summary>
public sealed class RolledKeyRevivalTests(GatewayTest.Parts parts) : GatewayTest(parts)
{
    protected override bool PartsPerTest => true;

    [Theory]
    [InlineData("2099-01-01T00:00:00Z")]
    [InlineData(null)]
    public async Task ARolledKey_CannotHaveItsDeadlineMovedLater_OrCleared_AndStaysRefused(string? expiresAt)
    {
        var old = await AdminApi.CreateAsync(Host, new { name = "rolled", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var oldId = (string)old["id"]!;
        var oldKey = (string)old["key"]!;
        var rolled = await AdminApi.PostAsync(Host, $"/admin/keys/{oldId}/roll", new { graceSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, rolled.Status);
        await Host.EventuallyAnswersAsync(HttpMethod.Post, "/v2/ep1/run", oldKey, 403, "key_expired");
        var seen = Upstream.Count;

        var patch = await AdminApi.PatchAsync(Host, oldId, $$"""{"expiresAt": {{(expiresAt is null ? "null" : $"\"{expiresAt}\"")}}}""");

        AdminApi.AssertRefused(patch, HttpStatusCode.Conflict, "key_already_rolled");
        var view = (await AdminApi.GetAsync(Host, $"/admin/keys/{oldId}")).Object;
        Assert.NotNull(view["expiresAt"]);
        Assert.Equal(403, (await Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", oldKey)).Status);
        Assert.Equal(seen, Upstream.Count);
    }

    [Fact]
    public async Task ARolledKeysDeadline_CanBeBroughtForward()
    {
        var old = await AdminApi.CreateAsync(Host, new { name = "rolled", endpoints = new Dictionary<string, string> { ["*"] = "readwrite" } });
        var oldId = (string)old["id"]!;
        var rolled = await AdminApi.PostAsync(Host, $"/admin/keys/{oldId}/roll", new { graceSeconds = 604800 });
        Assert.Equal(HttpStatusCode.Created, rolled.Status);
        var sooner = DateTimeOffset.UtcNow.AddHours(1).ToString("O");

        var patch = await AdminApi.PatchAsync(Host, oldId, new { expiresAt = sooner });

        Assert.Equal(HttpStatusCode.OK, patch.Status);
        Assert.Equal(200, (await Host.SendWithKeyAsync(HttpMethod.Post, "/v2/ep1/run", (string)old["key"]!)).Status);
    }
}
