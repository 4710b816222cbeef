#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QStringList>

class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace Gatehouse::Ui {

class EngineClient;

// Creates or edits one collection of the read model: its name, its JSON Schema (checked as the
// user types, with the engine's own rules), the properties it indexes (with the progress of
// index builds the engine runs), the schema's version and the upcasters from older versions,
// and how often snapshots are kept. Save PUTs /admin/collections/{name}; a refusal (an invalid
// definition, or a schema change that old events would not satisfy, with what to add) is shown
// in the dialog, which stays open. GUI thread only.
class CollectionEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CollectionEditorDialog)

public:
    enum class Mode { Create, Edit };

    // `collection`: as GET /admin/collections/{name} answers (empty for Create).
    CollectionEditorDialog(EngineClient *client, Mode mode, const QJsonObject &collection, const QStringList &existingNames,
                           QWidget *parent = nullptr);
    ~CollectionEditorDialog() override;

    // The body Save sends; empty when the fields do not parse.
    QJsonObject collectionJson() const;
    QStringList problems() const { return m_problems; }
    bool canSave() const;
    // The version the schema will have once saved (a changed schema is the next one).
    int savedSchemaVersion() const;

Q_SIGNALS:
    void saved(const QString &name);

private:
    void check();
    void refreshIndexes(const QJsonObject &schema);
    void showBuilds(const QJsonArray &builds);
    void pollBuilds();
    void save();
    QString name() const;

    EngineClient *m_client;
    Mode m_mode;
    QJsonObject m_original;
    QStringList m_existing;
    QStringList m_problems;
    QJsonObject m_builds;        // field -> its latest index build
    bool m_saving = false;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_schema = nullptr;
    QListWidget *m_indexes = nullptr;
    QLabel *m_version = nullptr;
    QPlainTextEdit *m_upcasters = nullptr;
    QSpinBox *m_snapshotEvery = nullptr;
    QLabel *m_problemsLabel = nullptr;
    QLabel *m_serverError = nullptr;
    QPushButton *m_save = nullptr;
    QTimer *m_buildPoll = nullptr;
};

} // namespace Gatehouse::Ui
