#pragma once

#include <QJsonObject>
#include <QString>

namespace Gatehouse::Ui {

// Writes a run's report out of the console: the report itself as JSON, its operations or its
// series as CSV (the same text `gatehouse simulate` and the admin API's users get from
// ReportFormat), or a picture of its charts and summary. Each returns false with `error` set
// when the file cannot be written. GUI thread (the image is rendered from widgets).
namespace RunExport {

enum class Format { Json, OperationsCsv, SeriesCsv, Image };

bool write(const QJsonObject &report, Format format, const QString &path, QString *error);
QString fileFilter(Format format);
QString suggestedName(const QJsonObject &report, Format format);

} // namespace RunExport
} // namespace Gatehouse::Ui
