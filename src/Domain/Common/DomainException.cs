namespace TaskService.Domain.Common;

/// <summary>A rule of the domain was broken: an illegal state transition or a violated invariant.</summary>
public class DomainException(string message) : Exception(message);
