#pragma once

#include "config/schemaviolation.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace Gatehouse::Ui {

class PluginSchemaForm;
class RoutePluginCatalog;

// A plain-text JSON editor for a `plugins` object ({"key-auth": {}, "limit-count": {...}}),
// validated as the user types: JSON syntax errors with their line and column, then each
// plugin's config against that plugin's schema from the engine (route configs, or consumer
// credentials in Consumer mode). Errors are listed under the text and the offending lines are
// underlined. isValid() is false while anything is wrong or still being checked, so a dialog
// can keep its Save button disabled. Beside the text, a form generated from the chosen
// plugin's schema (PluginSchemaForm) edits the same configuration: a change in either shows
// in the other, and a schema error marks its field. Lives on the GUI thread.
class RoutePluginsEdit final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoutePluginsEdit)

public:
    enum class Mode { Route, Consumer };

    RoutePluginsEdit(RoutePluginCatalog *catalog, Mode mode, QWidget *parent = nullptr);
    ~RoutePluginsEdit() override;

    void setPlugins(const QJsonObject &plugins);
    QJsonObject plugins() const { return m_plugins; }   // as last parsed
    bool isValid() const { return !m_checking && m_errors.isEmpty(); }
    bool isChecking() const { return m_checking; }
    QStringList errors() const { return m_errors; }
    QPlainTextEdit *textEdit() const { return m_text; }
    PluginSchemaForm *form() const { return m_form; }
    void showForm(const QString &plugin);   // the plugin whose form is shown

    // Adds `name` with an empty config (then shown with what its schema requires).
    void addPlugin(const QString &name);

Q_SIGNALS:
    void validityChanged();

private:
    void scheduleCheck();
    void check();
    void refillAddMenu();
    void showErrors(const QList<std::pair<int, QString>> &errorsByLine);
    int lineOfMember(const QString &name) const;
    void refreshForm();
    QJsonObject schemaFor(const QString &name) const;

    RoutePluginCatalog *m_catalog;
    Mode m_mode;
    QComboBox *m_addName = nullptr;
    QPushButton *m_add = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QLabel *m_state = nullptr;
    QListWidget *m_errorList = nullptr;
    QComboBox *m_formChoice = nullptr;
    PluginSchemaForm *m_form = nullptr;
    QString m_formPlugin;       // whose schema the form was built from
    bool m_applyingForm = false;
    QHash<QString, QList<SchemaViolation>> m_violations;   // by plugin, of the last check
    QTimer m_debounce;
    QJsonObject m_plugins;
    QStringList m_errors;
    bool m_checking = false;
    bool m_syntaxError = false;   // the text is not JSON: nothing can be added to it
};

} // namespace Gatehouse::Ui
