#include "runexport.h"

#include "runview.h"
#include "simulation/reportformat.h"

#include <QCoreApplication>
#include <QImage>
#include <QJsonDocument>
#include <QPixmap>
#include <QSaveFile>
#include <QSplitter>

namespace Gatehouse::Ui::RunExport {

namespace {

bool writeBytes(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

QString tr(const char *text)
{
    return QCoreApplication::translate("Gatehouse::Ui::RunExport", text);
}

// The charts and summary of the report, laid out on a widget never shown on screen.
QImage render(const QJsonObject &report)
{
    RunView view;
    view.setAttribute(Qt::WA_DontShowOnScreen);
    view.resize(1400, 1200);
    view.update(report);
    if (auto *split = view.findChild<QSplitter *>())
        split->setSizes({760, 420});   // room for the whole summary below the charts
    view.show();
    QCoreApplication::processEvents(QEventLoop::ExcludeUserInputEvents);   // lays the charts out before they are painted
    const QImage image = view.grab().toImage();
    view.hide();
    return image;
}

} // namespace

bool write(const QJsonObject &report, Format format, const QString &path, QString *error)
{
    switch (format) {
    case Format::Json: return writeBytes(path, QJsonDocument(report).toJson(QJsonDocument::Indented), error);
    case Format::OperationsCsv: return writeBytes(path, Simulation::ReportFormat::operationsCsv(report), error);
    case Format::SeriesCsv: return writeBytes(path, Simulation::ReportFormat::seriesCsv(report), error);
    case Format::Image: {
        const QImage image = render(report);
        QSaveFile file(path);
        if (image.isNull() || !file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit()) {
            if (error)
                *error = image.isNull() ? tr("the report could not be drawn") : file.errorString();
            return false;
        }
        return true;
    }
    }
    return false;
}

QString fileFilter(Format format)
{
    switch (format) {
    case Format::Json: return tr("JSON (*.json)");
    case Format::OperationsCsv:
    case Format::SeriesCsv: return tr("CSV (*.csv)");
    case Format::Image: return tr("PNG image (*.png)");
    }
    return {};
}

QString suggestedName(const QJsonObject &report, Format format)
{
    const QString base = QStringLiteral("%1-%2").arg(report.value(QStringLiteral("scenario")).toString(),
                                                      report.value(QStringLiteral("id")).toString());
    switch (format) {
    case Format::Json: return base + QStringLiteral(".json");
    case Format::OperationsCsv: return base + QStringLiteral("-operations.csv");
    case Format::SeriesCsv: return base + QStringLiteral("-series.csv");
    case Format::Image: return base + QStringLiteral(".png");
    }
    return base;
}

} // namespace Gatehouse::Ui::RunExport
