#include "scenarioeditor.h"

#include "config/strictjson.h"
#include "scenarioform.h"

#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

ScenarioEditor::ScenarioEditor(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("scenarioEditor"));
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("scenarioViews"));
    m_form = new ScenarioForm;
    auto *scroll = new QScrollArea(m_tabs);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    m_tabs->addTab(scroll, tr("Form"));

    auto *jsonPage = new QWidget(m_tabs);
    m_json = new QPlainTextEdit(jsonPage);
    m_json->setObjectName(QStringLiteral("scenarioJson"));
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_parseState = new QLabel(jsonPage);
    m_parseState->setObjectName(QStringLiteral("scenarioJsonState"));
    m_parseState->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    m_parseState->hide();
    m_errors = new QListWidget(jsonPage);
    m_errors->setObjectName(QStringLiteral("scenarioErrors"));
    m_errors->setMaximumHeight(120);
    m_errors->hide();
    auto *jsonLayout = new QVBoxLayout(jsonPage);
    jsonLayout->addWidget(m_json, 1);
    jsonLayout->addWidget(m_parseState);
    jsonLayout->addWidget(m_errors);
    m_tabs->addTab(jsonPage, tr("JSON"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
    connect(m_form, &ScenarioForm::changed, this, &ScenarioEditor::formChanged);
    connect(m_json, &QPlainTextEdit::textChanged, this, &ScenarioEditor::textChanged);
}

ScenarioEditor::~ScenarioEditor() = default;

void ScenarioEditor::setDocument(const QJsonObject &document)
{
    m_doc = document;
    m_syncing = true;
    m_form->setDocument(document);
    m_json->setPlainText(QString::fromUtf8(QJsonDocument(document).toJson(QJsonDocument::Indented)));
    m_syncing = false;
    m_textParses = true;
    m_parseState->hide();
    m_modified = false;
    clearErrors();
}

void ScenarioEditor::formChanged()
{
    if (m_syncing)
        return;
    m_doc = m_form->document();
    m_syncing = true;
    m_json->setPlainText(QString::fromUtf8(QJsonDocument(m_doc).toJson(QJsonDocument::Indented)));
    m_syncing = false;
    m_textParses = true;
    m_parseState->hide();
    m_modified = true;
    Q_EMIT changed();
}

void ScenarioEditor::textChanged()
{
    if (m_syncing)
        return;
    m_modified = true;
    StrictJson::Error error;
    const std::optional<QJsonObject> parsed = StrictJson::parseObject(m_json->toPlainText().toUtf8(), &error);
    m_textParses = parsed.has_value();
    if (!parsed) {
        m_parseState->setText(tr("Not valid JSON (the form shows the last text that was): %1").arg(error.toString()));
        m_parseState->show();
        Q_EMIT changed();
        return;
    }
    m_parseState->hide();
    m_doc = *parsed;
    m_syncing = true;
    m_form->setDocument(m_doc);
    m_syncing = false;
    Q_EMIT changed();
}

void ScenarioEditor::showErrors(const QStringList &errors)
{
    const QStringList unplaced = m_form->showErrors(errors);
    m_errors->clear();
    for (const QString &e : unplaced) {
        auto *item = new QListWidgetItem(e, m_errors);
        item->setForeground(QColor(183, 28, 28));
    }
    m_errors->setVisible(!unplaced.isEmpty());
}

void ScenarioEditor::clearErrors()
{
    m_form->clearErrors();
    m_errors->clear();
    m_errors->hide();
}

QStringList ScenarioEditor::listedErrors() const
{
    QStringList out;
    for (int i = 0; i < m_errors->count(); ++i)
        out.append(m_errors->item(i)->text());
    return out;
}

} // namespace Gatehouse::Ui
