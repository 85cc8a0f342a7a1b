#pragma once

#include <QTextStream>

#include <cstdio>

namespace pw {

/// stdout and stderr as QTextStreams, one of each for the whole process: every command prints through them, so
/// their buffers never interleave out of order.
inline QTextStream& out()
{
    static QTextStream stream(stdout);
    return stream;
}

inline QTextStream& err()
{
    static QTextStream stream(stderr);
    return stream;
}

} // namespace pw
