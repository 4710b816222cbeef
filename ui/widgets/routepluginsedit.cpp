#include "routepluginsedit.h"

#include "models/routeplugincatalog.h"
#include "pluginschemaform.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopedValueRollback>
#include <QScrollArea>
#include <QSplitter>
#include <QTextBlock>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
constexpr int kCheckDelayMs = 150;   // typing pauses this long before a check

// Line (1-based) and column (1-based, in characters) of a UTF-8 byte offset into `text`.
std::pair<int, int> lineAndColumn(const QString &text, qsizetype utf8Offset)
{
    const QByteArray utf8 = text.toUtf8().left(utf8Offset);
    const qsizetype lastNewline = utf8.lastIndexOf('\n');
    const int line = int(utf8.count('\n')) + 1;
    const int column = int(QString::fromUtf8(utf8.mid(lastNewline + 1)).size()) + 1;
    return {line, column};
}
} // namespace

RoutePluginsEdit::RoutePluginsEdit(RoutePluginCatalog *catalog, Mode mode, QWidget *parent)
    : QWidget(parent)
    , m_catalog(catalog)
    , m_mode(mode)
{
    m_addName = new QComboBox(this);
    m_addName->setObjectName(QStringLiteral("pluginsAddName"));
    m_add = new QPushButton(tr("Add plugin"), this);
    m_add->setObjectName(QStringLiteral("pluginsAdd"));
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("pluginsText"));
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setTabChangesFocus(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setPlaceholderText(mode == Mode::Route ? QStringLiteral("{\"key-auth\": {}, \"limit-count\": {\"count\": 100, \"time_window\": 60}}")
                                                   : QStringLiteral("{\"key-auth\": {\"key\": \"secret\"}}"));
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("pluginsState"));
    m_errorList = new QListWidget(this);
    m_errorList->setObjectName(QStringLiteral("pluginsErrors"));
    m_errorList->setMaximumHeight(90);
    m_errorList->hide();

    m_formChoice = new QComboBox(this);
    m_formChoice->setObjectName(QStringLiteral("pluginsFormChoice"));
    m_formChoice->setToolTip(tr("The plugin whose settings the form shows"));
    m_form = new PluginSchemaForm(this);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *formSide = new QWidget(this);
    auto *formLayout = new QVBoxLayout(formSide);
    formLayout->setContentsMargins(0, 0, 0, 0);
    formLayout->addWidget(m_formChoice);
    formLayout->addWidget(scroll, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("pluginsSplit"));
    split->addWidget(m_text);
    split->addWidget(formSide);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);

    auto *addRow = new QHBoxLayout;
    addRow->addWidget(m_addName, 1);
    addRow->addWidget(m_add);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(addRow);
    layout->addWidget(split, 1);
    layout->addWidget(m_state);
    layout->addWidget(m_errorList);

    connect(m_formChoice, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty())
            showForm(name);
    });
    // The form edits the text: the chosen plugin's member rewritten, the rest as it was.
    connect(m_form, &PluginSchemaForm::edited, this, [this](const QJsonObject &config) {
        // Text typed and not checked yet is taken in first, so the form does not undo it.
        if (m_debounce.isActive()) {
            m_debounce.stop();
            const QScopedValueRollback<bool> applying(m_applyingForm, true);   // the form is ahead of this text
            check();
        }
        if (m_formPlugin.isEmpty() || m_syntaxError)
            return;
        QJsonObject plugins = m_plugins;
        plugins.insert(m_formPlugin, config);
        m_plugins = plugins;
        const QSignalBlocker blocker(m_form);
        m_text->setPlainText(QString::fromUtf8(QJsonDocument(plugins).toJson(QJsonDocument::Indented)));
    });

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kCheckDelayMs);
    connect(&m_debounce, &QTimer::timeout, this, &RoutePluginsEdit::check);
    connect(m_text, &QPlainTextEdit::textChanged, this, &RoutePluginsEdit::scheduleCheck);
    connect(m_add, &QPushButton::clicked, this, [this] { addPlugin(m_addName->currentText()); });
    connect(m_catalog, &RoutePluginCatalog::changed, this, [this] {
        refillAddMenu();
        if (!m_debounce.isActive())
            check();
    });
    // Clicking an error puts the cursor on its line.
    connect(m_errorList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const int line = item->data(Qt::UserRole).toInt();
        if (line > 0) {
            m_text->setTextCursor(QTextCursor(m_text->document()->findBlockByNumber(line - 1)));
            m_text->setFocus();
        }
    });
    refillAddMenu();
    setPlugins({});
}

RoutePluginsEdit::~RoutePluginsEdit() = default;

void RoutePluginsEdit::setPlugins(const QJsonObject &plugins)
{
    m_text->setPlainText(QString::fromUtf8(QJsonDocument(plugins).toJson(QJsonDocument::Indented)));
    m_debounce.stop();
    check();
}

void RoutePluginsEdit::addPlugin(const QString &name)
{
    if (name.isEmpty() || m_syntaxError)
        return;
    QJsonObject plugins = m_plugins;
    // Its required settings at their defaults when the schema is known (else {}).
    if (!plugins.contains(name))
        plugins.insert(name, PluginSchemaForm::requiredDefaults(schemaFor(name)));
    setPlugins(plugins);
    showForm(name);
}

QJsonObject RoutePluginsEdit::schemaFor(const QString &name) const
{
    return m_mode == Mode::Route ? m_catalog->rawSchema(name) : m_catalog->rawConsumerSchema(name);
}

void RoutePluginsEdit::showForm(const QString &plugin)
{
    if (m_formChoice->currentText() != plugin) {
        const int index = m_formChoice->findText(plugin);
        if (index >= 0) {
            m_formChoice->setCurrentIndex(index);   // back here through the signal
            return;
        }
    }
    if (plugin != m_formPlugin || m_form->members().isEmpty()) {
        m_formPlugin = plugin;
        m_form->setSchema(schemaFor(plugin));
    }
    m_form->setConfig(m_plugins.value(plugin).toObject());
    m_form->setErrors(m_violations.value(plugin));
}

void RoutePluginsEdit::refreshForm()
{
    // The choice lists the plugins of the text; the form follows what the text says now.
    const QStringList names = m_plugins.keys();
    QStringList listed;
    for (int i = 0; i < m_formChoice->count(); ++i)
        listed.append(m_formChoice->itemText(i));
    if (listed != names) {
        const QSignalBlocker blocker(m_formChoice);
        m_formChoice->clear();
        m_formChoice->addItems(names);
        m_formChoice->setCurrentIndex(qMax(0, names.indexOf(m_formPlugin)));
    }
    const QString current = m_formChoice->currentText();
    if (current.isEmpty()) {
        m_formPlugin.clear();
        m_form->setSchema({});
        m_form->setEnabled(false);
        return;
    }
    m_form->setEnabled(!m_syntaxError);
    if (current != m_formPlugin || m_form->members().isEmpty() != schemaFor(current).value(QLatin1String("properties")).toObject().isEmpty()) {
        m_formPlugin = current;
        m_form->setSchema(schemaFor(current));
    }
    // Not while the user types in the form (its edit rewrote the text this check is about).
    // Not while a form edit is being applied (the form is ahead of the text checked then).
    if (!m_applyingForm && m_form->config() != m_plugins.value(current).toObject())
        m_form->setConfig(m_plugins.value(current).toObject());
    m_form->setErrors(m_violations.value(current));
}

void RoutePluginsEdit::refillAddMenu()
{
    const QString current = m_addName->currentText();
    m_addName->clear();
    m_addName->addItems(m_mode == Mode::Route ? m_catalog->names() : m_catalog->credentialNames());
    m_addName->setCurrentText(current);
    m_add->setEnabled(m_addName->count() > 0);
}

void RoutePluginsEdit::scheduleCheck()
{
    // Not valid until checked: a Save button must not act on text nobody has looked at.
    if (!m_checking) {
        m_checking = true;
        Q_EMIT validityChanged();
    }
    m_debounce.start();
}

void RoutePluginsEdit::check()
{
    QList<std::pair<int, QString>> errors;   // (line, message)
    QHash<QString, QList<SchemaViolation>> violationsByPlugin;
    bool pending = false;
    bool syntaxError = false;
    const QString text = m_text->toPlainText();
    QJsonObject plugins;
    if (!text.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            syntaxError = true;
            const auto [line, column] = lineAndColumn(text, parseError.offset);
            errors.append({line, tr("JSON syntax error at line %1, column %2: %3").arg(line).arg(column).arg(parseError.errorString())});
        } else if (!doc.isObject()) {
            syntaxError = true;
            errors.append({1, tr("JSON: must be an object of plugin name → config")});
        } else {
            plugins = doc.object();
        }
    }
    for (auto it = plugins.constBegin(); it != plugins.constEnd(); ++it) {
        const QString &name = it.key();
        const int line = lineOfMember(name);
        switch (m_catalog->lookup(name)) {
        case RoutePluginCatalog::Lookup::Pending:
            pending = true;
            continue;
        case RoutePluginCatalog::Lookup::Unknown:
            errors.append({line, tr("%1: unknown plugin").arg(name)});
            continue;
        case RoutePluginCatalog::Lookup::Unavailable:
            continue;   // the engine will check it on save
        case RoutePluginCatalog::Lookup::Known:
            break;
        }
        if (!it.value().isObject()) {
            errors.append({line, tr("%1: the configuration must be an object").arg(name)});
            continue;
        }
        const JsonSchema *schema = &m_catalog->schema(name);
        if (m_mode == Mode::Consumer) {
            schema = m_catalog->consumerSchema(name);
            if (!schema) {
                errors.append({line, tr("%1: not a credential plugin (%2)").arg(name, m_catalog->credentialNames().join(QStringLiteral(", ")))});
                continue;
            }
        }
        const QList<SchemaViolation> violations = schema->validate(it.value());
        violationsByPlugin.insert(name, violations);
        for (const SchemaViolation &v : violations)
            errors.append({line, name + v.path + QStringLiteral(": ") + v.message});
    }
    m_violations = violationsByPlugin;
    if (!syntaxError)
        m_plugins = plugins;
    m_syntaxError = syntaxError;
    refreshForm();
    QStringList messages;
    for (const auto &e : errors)
        messages.append(e.second);
    const bool changed = messages != m_errors || pending != m_checking;
    m_errors = messages;
    m_checking = pending;
    showErrors(errors);
    if (changed)
        Q_EMIT validityChanged();
}

int RoutePluginsEdit::lineOfMember(const QString &name) const
{
    const QRegularExpression member(QLatin1Char('"') + QRegularExpression::escape(name) + QStringLiteral("\"\\s*:"));
    const QRegularExpressionMatch match = member.match(m_text->toPlainText());
    if (!match.hasMatch())
        return 0;
    return m_text->document()->findBlock(int(match.capturedStart())).blockNumber() + 1;
}

void RoutePluginsEdit::showErrors(const QList<std::pair<int, QString>> &errorsByLine)
{
    m_errorList->clear();
    QList<QTextEdit::ExtraSelection> marks;
    for (const auto &[line, message] : errorsByLine) {
        auto *item = new QListWidgetItem(line > 0 ? tr("line %1: %2").arg(line).arg(message) : message, m_errorList);
        item->setData(Qt::UserRole, line);
        item->setForeground(Qt::darkRed);
        if (line > 0) {
            QTextEdit::ExtraSelection mark;
            mark.cursor = QTextCursor(m_text->document()->findBlockByNumber(line - 1));
            mark.cursor.select(QTextCursor::LineUnderCursor);
            mark.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
            mark.format.setUnderlineColor(Qt::red);
            marks.append(mark);
        }
    }
    m_text->setExtraSelections(marks);
    m_errorList->setVisible(!errorsByLine.isEmpty());
    if (m_checking)
        m_state->setText(tr("Checking plugin configs…"));
    else if (errorsByLine.isEmpty())
        m_state->setText(m_plugins.isEmpty() ? tr("No plugins.") : tr("✓ Valid: %1").arg(m_plugins.keys().join(QStringLiteral(", "))));
    else
        m_state->setText(tr("%n problem(s):", nullptr, int(errorsByLine.size())));
    m_add->setEnabled(m_addName->count() > 0 && !m_syntaxError);
}

} // namespace Gatehouse::Ui
