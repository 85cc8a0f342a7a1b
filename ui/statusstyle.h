#pragma once

#include "model/severity.h"

#include <QColor>
#include <QPalette>
#include <QString>

namespace pw {

/// Colours and words for the one status scale, shared by the tiles, the tables and the window title.
/// Pure functions; safe from any thread (they only read the palette passed in).
namespace StatusStyle {

/// The status colour itself (band, pill). Chosen to read on light and dark backgrounds alike.
QColor color(Severity s);
/// Text drawn on top of color(s): dark on amber and light grey, white elsewhere.
QColor onColor(Severity s);
/// A faint tint of the status colour over the palette's base, for the body of a tile.
QColor tint(Severity s, const QPalette& palette);
/// True when the palette is dark (window colour darker than its text).
bool isDark(const QPalette& palette);

/// "just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago"; "—" for a negative or unknown age.
QString formatAge(qint64 ageMs);
/// Labels as "topic=orders, partition=3" (no braces or quotes), for people rather than PromQL.
QString formatLabels(const std::vector<std::pair<QString, QString>>& labels);

} // namespace StatusStyle
} // namespace pw
