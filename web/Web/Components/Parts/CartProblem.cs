using Platform.Web.Api;

namespace Platform.Web.Components.Parts;

public static class CartProblem
{
    public static readonly ApiProblem Unavailable = new(503, "The cart is not available right now.", "Please try again in a moment.");
}
