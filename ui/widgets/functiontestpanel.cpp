#include "functiontestpanel.h"

#include "engineclient.h"

#include <QCheckBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
QString pretty(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented)).trimmed();
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}
} // namespace

FunctionTestPanel::FunctionTestPanel(EngineClient *client, std::function<QString()> editorCode, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_editorCode(std::move(editorCode))
{
    setObjectName(QStringLiteral("functionTestPanel"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_position = new QLineEdit(this);
    m_position->setObjectName(QStringLiteral("functionTestPosition"));
    m_position->setPlaceholderText(tr("the newest event"));
    m_position->setToolTip(tr("The position of an event in the log; empty: the newest; ignored when a sample event is given"));
    m_sample = new QPlainTextEdit(this);
    m_sample->setObjectName(QStringLiteral("functionTestSample"));
    m_sample->setFont(mono);
    m_sample->setPlaceholderText(tr("Or a sample event: {\"type\": \"products.created\", \"subject\": \"p1\", \"data\": {...}}"));
    m_sample->setMaximumHeight(90);
    m_useEditor = new QCheckBox(tr("With the code in the editor (not deployed)"), this);
    m_useEditor->setObjectName(QStringLiteral("functionTestUseEditor"));
    m_run = new QPushButton(tr("Run test"), this);
    m_run->setObjectName(QStringLiteral("functionTestRun"));
    m_run->setToolTip(tr("Run the function on the event without writing anything"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("functionTestStatus"));
    m_status->setWordWrap(true);
    m_output = new QPlainTextEdit(this);
    m_output->setObjectName(QStringLiteral("functionTestOutput"));
    m_output->setReadOnly(true);
    m_output->setFont(mono);

    auto *form = new QFormLayout;
    form->addRow(tr("Event at position"), m_position);
    form->addRow(tr("Sample event"), m_sample);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_useEditor);
    buttons->addStretch(1);
    buttons->addWidget(m_run);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_output, 1);
    connect(m_run, &QPushButton::clicked, this, &FunctionTestPanel::run);
    connect(m_position, &QLineEdit::returnPressed, this, &FunctionTestPanel::run);
    setFunction({});
}

FunctionTestPanel::~FunctionTestPanel() = default;

void FunctionTestPanel::setFunction(const QString &name)
{
    if (name != m_name) {
        m_name = name;
        ++m_generation;
        m_output->clear();
        m_status->setText(name.isEmpty() ? tr("Deploy the function first: a test runs a deployed function (with its code or the editor's).")
                                         : QString());
    }
    m_run->setEnabled(!name.isEmpty());
}

void FunctionTestPanel::run()
{
    if (m_name.isEmpty())
        return;
    QJsonObject body;
    const QString sample = m_sample->toPlainText().trimmed();
    if (!sample.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(sample.toUtf8(), &error);
        if (!doc.isObject()) {
            m_status->setText(tr("The sample event is not a JSON object: %1").arg(error.errorString()));
            return;
        }
        body.insert(QStringLiteral("event"), doc.object());
    } else {
        const QString text = m_position->text().trimmed();
        bool ok = true;
        const qint64 position = text.isEmpty() ? m_client->status().headPosition : text.toLongLong(&ok);
        if (!ok || position < 1) {
            m_status->setText(text.isEmpty() ? tr("The log is empty: give a sample event.") : tr("'%1' is not a position.").arg(text));
            return;
        }
        body.insert(QStringLiteral("position"), position);
    }
    if (m_useEditor->isChecked() && m_editorCode)
        body.insert(QStringLiteral("code"), m_editorCode());
    m_status->setText(tr("Running…"));
    m_run->setEnabled(false);
    m_client->admin("POST", "/admin/functions/" + EngineClient::encode(m_name) + "/test", QJsonDocument(body).toJson(QJsonDocument::Compact),
                    this, [this, generation = ++m_generation](const ClientReply &reply) {
        if (generation != m_generation)
            return;
        m_run->setEnabled(!m_name.isEmpty());
        const QJsonObject answer = reply.object();
        if (!reply.isSuccess()) {
            m_last = answer;
            m_output->clear();
            m_status->setText(tr("Not run: %1").arg(reply.errorText()));
            if (const int line = answer.value(QLatin1String("line")).toInt(); line > 0 && m_useEditor->isChecked())
                Q_EMIT errorLine(line, answer.value(QLatin1String("message")).toString());
            Q_EMIT finished(false);
            return;
        }
        show(answer);
    });
}

void FunctionTestPanel::show(const QJsonObject &answer)
{
    m_last = answer;
    const bool ok = answer.value(QLatin1String("ok")).toBool();
    const QString took = QLocale().toString(answer.value(QLatin1String("duration_ms")).toDouble(), 'f', 2);
    const QJsonObject event = answer.value(QLatin1String("event")).toObject();
    const QString on = event.contains(QLatin1String("position"))
        ? tr("event #%1 %2").arg(event.value(QLatin1String("position")).toInteger()).arg(event.value(QLatin1String("type")).toString())
        : tr("the sample %1").arg(event.value(QLatin1String("type")).toString());
    const QString code = answer.value(QLatin1String("code")).toString() == QLatin1String("given")
        ? tr("the editor's code") : tr("version %1").arg(answer.value(QLatin1String("function_version")).toInteger());
    if (ok) {
        m_status->setText(tr("Ran %1 on %2 in %3 ms; nothing was written.").arg(code, on, took));
    } else {
        const int line = answer.value(QLatin1String("line")).toInt();
        const QString error = answer.value(QLatin1String("error")).toString();
        m_status->setText(line > 0 ? tr("%1 failed on %2 at line %3: %4").arg(code, on).arg(line).arg(error)
                                   : tr("%1 failed on %2: %3").arg(code, on, error));
        if (line > 0 && answer.value(QLatin1String("code")).toString() == QLatin1String("given"))
            Q_EMIT errorLine(line, error);
    }
    QString text;
    const auto section = [&text](const QString &title, const QString &body) {
        text += QStringLiteral("// %1\n%2\n\n").arg(title, body.isEmpty() ? QStringLiteral("(none)") : body);
    };
    const QJsonArray writes = answer.value(QLatin1String("writes")).toArray();
    QStringList lines;
    for (const QJsonValue &w : writes) {
        const QJsonObject o = w.toObject();
        const QString target = o.value(QLatin1String("collection")).toString() + u'/' + o.value(QLatin1String("id")).toString();
        lines.append(o.value(QLatin1String("remove")).toBool() ? tr("remove %1").arg(target)
                                                              : tr("upsert %1 %2").arg(target, pretty(o.value(QLatin1String("doc")))));
    }
    section(tr("Would write (%1)").arg(writes.size()), lines.join(u'\n'));
    lines.clear();
    const QJsonArray emits = answer.value(QLatin1String("emits")).toArray();
    for (const QJsonValue &e : emits) {
        const QJsonObject o = e.toObject();
        lines.append(tr("emit %1 (%2) %3").arg(o.value(QLatin1String("type")).toString(), o.value(QLatin1String("subject")).toString(),
                                            pretty(o.value(QLatin1String("data")))));
    }
    section(tr("Would emit (%1)").arg(emits.size()), lines.join(u'\n'));
    lines.clear();
    for (const QJsonValue &l : answer.value(QLatin1String("logs")).toArray())
        lines.append(l.toString());
    section(tr("Logged"), lines.join(u'\n'));
    if (ok)
        section(tr("Returned"), pretty(answer.value(QLatin1String("result"))));
    m_output->setPlainText(text.trimmed());
    Q_EMIT finished(ok);
}

} // namespace Gatehouse::Ui
