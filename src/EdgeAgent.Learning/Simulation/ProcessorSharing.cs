namespace EdgeAgent.Learning.Simulation;

/// <summary>
/// Processor-sharing execution of one server, in the representation the simulator keeps: every
/// executing task progresses at the same rate, so the server keeps one service clock
/// (bits of work each task has received since the server was last empty) and each task a finish
/// mark (clock value at which it completes). Marks are kept in descending order so the next
/// completion is the last one; pending joins (tasks still uploading) are kept by join time,
/// descending. These routines are exact event simulations: they advance from event to event
/// (completion or join), never by fixed time slices.
/// </summary>
public static class ProcessorSharing
{
    /// <summary>Residual work below which a task counts as finished, bits (the reference's ZERO_RES).</summary>
    public const double FinishToleranceBits = 1e-6;

    /// <summary>
    /// Runs the server from <paramref name="time"/> until <paramref name="until"/> (or until it is
    /// empty, when <paramref name="until"/> is +infinity), adding each completion's time to
    /// <paramref name="sumFinish"/>.
    /// </summary>
    public static void Run(ref double time, double until, double bitsPerSecond, ref double service,
        Span<double> marks, ref int count, Span<double> pendingTime, Span<double> pendingBits, ref int pendingCount,
        ref double sumFinish, ref int finished)
    {
        while (true)
        {
            var tJoin = pendingCount > 0 ? pendingTime[pendingCount - 1] : double.PositiveInfinity;
            var tDone = count > 0 ? time + ((marks[count - 1] - service) * count / bitsPerSecond) : double.PositiveInfinity;
            var tNext = Math.Min(tJoin, tDone);
            if (tNext > until || double.IsPositiveInfinity(tNext))
            {
                if (double.IsFinite(until))
                {
                    if (count > 0)
                    {
                        service += (until - time) * bitsPerSecond / count;
                    }

                    time = until;
                }

                return;
            }

            if (tDone <= tJoin)
            {
                service = Math.Max(service, marks[count - 1]);
                time = Math.Max(time, tDone);
                while (count > 0 && marks[count - 1] <= service + FinishToleranceBits)
                {
                    count--;
                    sumFinish += time;
                    finished++;
                }

                if (count == 0)
                {
                    service = 0; // restart the clock: keeps marks small and precise
                }
            }
            else
            {
                if (count > 0)
                {
                    service += (tJoin - time) * bitsPerSecond / count;
                }

                time = Math.Max(time, tJoin);
                var bits = pendingBits[pendingCount - 1];
                pendingCount--;
                InsertDescending(marks, ref count, service + bits);
            }
        }
    }

    /// <summary>Inserts <paramref name="value"/> into a descending array of <paramref name="count"/> values.</summary>
    /// <exception cref="InvalidOperationException">The array is full.</exception>
    public static void InsertDescending(Span<double> values, ref int count, double value)
    {
        if (count >= values.Length)
        {
            throw new InvalidOperationException($"A server holds more than {values.Length} tasks; raise the capacity.");
        }

        var i = count - 1;
        while (i >= 0 && values[i] < value)
        {
            values[i + 1] = values[i];
            i--;
        }

        values[i + 1] = value;
        count++;
    }

    /// <summary>Inserts a pending join, keeping join times descending.</summary>
    /// <exception cref="InvalidOperationException">The arrays are full.</exception>
    public static void InsertPending(Span<double> times, Span<double> bits, ref int count, double time, double size)
    {
        if (count >= times.Length)
        {
            throw new InvalidOperationException($"A server has more than {times.Length} uploads pending; raise the capacity.");
        }

        var i = count - 1;
        while (i >= 0 && times[i] < time)
        {
            times[i + 1] = times[i];
            bits[i + 1] = bits[i];
            i--;
        }

        times[i + 1] = time;
        bits[i + 1] = size;
        count++;
    }

    /// <summary>
    /// Sum of the completion times of every task on the server (executing and pending), with no
    /// further arrivals, optionally with one more task joining at <paramref name="extraJoinTime"/>.
    /// The state is copied into the scratch spans (each at least count + pending + 1 long); the
    /// server itself is not changed.
    /// </summary>
    public static double SumOfCompletionTimes(double time, double bitsPerSecond, double service,
        ReadOnlySpan<double> marks, ReadOnlySpan<double> pendingTime, ReadOnlySpan<double> pendingBits,
        double extraJoinTime, double extraBits, Span<double> scratchMarks, Span<double> scratchTime, Span<double> scratchBits)
    {
        var count = marks.Length;
        marks.CopyTo(scratchMarks);
        var pending = pendingTime.Length;
        pendingTime.CopyTo(scratchTime);
        pendingBits.CopyTo(scratchBits);
        if (extraBits > 0)
        {
            if (extraJoinTime <= time)
            {
                InsertDescending(scratchMarks, ref count, service + extraBits);
            }
            else
            {
                InsertPending(scratchTime, scratchBits, ref pending, extraJoinTime, extraBits);
            }
        }

        var sum = 0.0;
        var finished = 0;
        var t = time;
        Run(ref t, double.PositiveInfinity, bitsPerSecond, ref service, scratchMarks, ref count, scratchTime, scratchBits, ref pending, ref sum, ref finished);
        return sum;
    }
}
