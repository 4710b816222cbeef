#pragma once

#include <QJsonObject>
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTabWidget;

namespace Gatehouse::Ui {

class ScenarioForm;

// One scenario document seen two ways, kept in step: the form (ScenarioForm) and the JSON
// text. An edit in either changes the document; text that does not parse leaves the form as
// it was and says where the text is wrong. The engine's errors on saving are shown at their
// fields in the form and, for those the form has no field for, in a list under the text.
// GUI thread only.
class ScenarioEditor final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScenarioEditor)

public:
    explicit ScenarioEditor(QWidget *parent = nullptr);
    ~ScenarioEditor() override;

    void setDocument(const QJsonObject &document);   // not modified afterwards
    QJsonObject document() const { return m_doc; }
    bool isModified() const { return m_modified; }
    void setModified(bool modified) { m_modified = modified; }
    bool textParses() const { return m_textParses; }

    void showErrors(const QStringList &errors);
    void clearErrors();
    QStringList listedErrors() const;   // those under the JSON text

    ScenarioForm *form() const { return m_form; }
    QPlainTextEdit *jsonEdit() const { return m_json; }
    QTabWidget *views() const { return m_tabs; }

Q_SIGNALS:
    void changed();

private:
    void formChanged();
    void textChanged();

    QJsonObject m_doc;
    QTabWidget *m_tabs = nullptr;
    ScenarioForm *m_form = nullptr;
    QPlainTextEdit *m_json = nullptr;
    QLabel *m_parseState = nullptr;
    QListWidget *m_errors = nullptr;
    bool m_modified = false;
    bool m_textParses = true;
    bool m_syncing = false;
};

} // namespace Gatehouse::Ui
