namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>A fuzz target found a broken invariant: a real bug, never an expected outcome.</summary>
public sealed class FuzzFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzFailureException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FuzzFailureException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public FuzzFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
