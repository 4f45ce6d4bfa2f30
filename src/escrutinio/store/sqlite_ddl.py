"""The SQLite schema as DDL text, compiled from store/schema.py (do not edit: regenerate with
``python -m escrutinio.store.schema > src/escrutinio/store/sqlite_ddl.py``; a test holds the two equal).

A new SQLite store is created from this text, so creating one needs no SQLAlchemy import.
"""

SCHEMA_REVISION = '0015'

STATEMENTS = (
    (
        'CREATE TABLE accounts (\n'
        '\tname VARCHAR(64) NOT NULL, \n'
        '\trole VARCHAR(32) NOT NULL, \n'
        '\tarea VARCHAR(128), \n'
        '\tparty VARCHAR(64), \n'
        '\tbody VARCHAR(64), \n'
        '\ttoken_hash VARCHAR(64) NOT NULL, \n'
        '\tcreated_at VARCHAR(32) NOT NULL, \n'
        '\tcreated_seq INTEGER NOT NULL, \n'
        '\trevoked_at VARCHAR(32), \n'
        '\trevoked_seq INTEGER, \n'
        '\tPRIMARY KEY (name), \n'
        '\tUNIQUE (token_hash)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE action_keys (\n'
        '\t"key" VARCHAR(200) NOT NULL, \n'
        '\tseq INTEGER NOT NULL, \n'
        '\tat VARCHAR(32) NOT NULL, \n'
        '\tPRIMARY KEY ("key")\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE area_tally (\n'
        '\tarea VARCHAR(128) NOT NULL, \n'
        '\tcounts TEXT NOT NULL, \n'
        '\tPRIMARY KEY (area)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE areas (\n'
        '\tcode VARCHAR(128) NOT NULL, \n'
        '\tlevel INTEGER NOT NULL, \n'
        '\tkind VARCHAR(64) NOT NULL, \n'
        '\tname VARCHAR(256) NOT NULL, \n'
        '\tparent VARCHAR(128), \n'
        '\tPRIMARY KEY (code)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE INDEX ix_areas_level ON areas (level)'
    ),
    (
        'CREATE TABLE audit_seals (\n'
        '\tseq INTEGER NOT NULL, \n'
        '\tsealed TEXT NOT NULL, \n'
        '\tPRIMARY KEY (seq)\n'
        ')'
    ),
    (
        'CREATE TABLE blobs (\n'
        '\tsha256 VARCHAR(64) NOT NULL, \n'
        '\tmedia_type VARCHAR(128) NOT NULL, \n'
        '\tsize INTEGER NOT NULL, \n'
        '\tat VARCHAR(32) NOT NULL, \n'
        '\tdata BLOB NOT NULL, \n'
        '\tPRIMARY KEY (sha256)\n'
        ')'
    ),
    (
        'CREATE TABLE case_events (\n'
        '\tnumber VARCHAR(64) NOT NULL, \n'
        '\tseq INTEGER NOT NULL, \n'
        '\tPRIMARY KEY (number, seq)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE case_tables (\n'
        '\ttable_id VARCHAR(64) NOT NULL, \n'
        '\tnumber VARCHAR(64) NOT NULL, \n'
        '\tPRIMARY KEY (table_id, number)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE cases (\n'
        '\tnumber VARCHAR(64) NOT NULL, \n'
        '\tkind VARCHAR(32) NOT NULL, \n'
        '\tstatus VARCHAR(32) NOT NULL, \n'
        '\tfiler VARCHAR(64) NOT NULL, \n'
        '\ttables TEXT NOT NULL, \n'
        '\tfiled_at VARCHAR(40) NOT NULL, \n'
        '\tgrounds VARCHAR(64) NOT NULL, \n'
        '\trule VARCHAR(32), \n'
        '\tresolution VARCHAR(64), \n'
        '\teffect VARCHAR(32), \n'
        '\tappeal_until VARCHAR(40), \n'
        '\tupdated_seq INTEGER NOT NULL, \n'
        '\tPRIMARY KEY (number)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE INDEX ix_cases_status ON cases (status)'
    ),
    (
        'CREATE TABLE chunks (\n'
        '\tseq INTEGER NOT NULL, \n'
        '\tkind VARCHAR(16) NOT NULL, \n'
        '\thash VARCHAR(64) NOT NULL, \n'
        '\trows BLOB NOT NULL, \n'
        '\tPRIMARY KEY (seq)\n'
        ')'
    ),
    (
        'CREATE TABLE cosignatures (\n'
        '\tsize INTEGER NOT NULL, \n'
        '\tkey_id VARCHAR(64) NOT NULL, \n'
        '\troot VARCHAR(64) NOT NULL, \n'
        '\ttime VARCHAR(32) NOT NULL, \n'
        '\tpublic_key VARCHAR(64) NOT NULL, \n'
        '\tsignature VARCHAR(128) NOT NULL, \n'
        '\tPRIMARY KEY (size, key_id)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE events (\n'
        '\tseq INTEGER NOT NULL, \n'
        '\ttype VARCHAR(64) NOT NULL, \n'
        '\tat VARCHAR(32) NOT NULL, \n'
        '\tactor VARCHAR(128) NOT NULL, \n'
        '\tdata TEXT NOT NULL, \n'
        '\tprev VARCHAR(64) NOT NULL, \n'
        '\thash VARCHAR(64) NOT NULL, \n'
        '\tPRIMARY KEY (seq), \n'
        '\tUNIQUE (hash)\n'
        ')'
    ),
    (
        'CREATE TABLE meta (\n'
        '\t"key" VARCHAR(64) NOT NULL, \n'
        '\tvalue TEXT NOT NULL, \n'
        '\tPRIMARY KEY ("key")\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE sheet_entries (\n'
        '\ttable_id VARCHAR(64) NOT NULL, \n'
        '\tentry INTEGER NOT NULL, \n'
        '\tseq INTEGER NOT NULL, \n'
        '\tclerk VARCHAR(128) NOT NULL, \n'
        '\tat VARCHAR(32) NOT NULL, \n'
        '\toutcome VARCHAR(32) NOT NULL, \n'
        '\tsealed TEXT, \n'
        '\tPRIMARY KEY (table_id, entry)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE sheet_images (\n'
        '\ttable_id VARCHAR(64) NOT NULL, \n'
        '\tseq INTEGER NOT NULL, \n'
        '\tsha256 VARCHAR(64) NOT NULL, \n'
        '\tPRIMARY KEY (table_id, seq)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        'CREATE TABLE sheets (\n'
        '\ttable_id VARCHAR(64) NOT NULL, \n'
        '\tversion INTEGER NOT NULL, \n'
        '\tstate VARCHAR(32) NOT NULL, \n'
        '\treasons VARCHAR(256) NOT NULL, \n'
        '\tbasis VARCHAR(128) NOT NULL, \n'
        '\tline INTEGER, \n'
        '\tballots_cast INTEGER NOT NULL, \n'
        '\tblank INTEGER NOT NULL, \n'
        '\tnull_votes INTEGER NOT NULL, \n'
        '\tchallenged INTEGER NOT NULL, \n'
        '\tvotes TEXT NOT NULL, \n'
        '\tseq INTEGER NOT NULL, \n'
        '\tcurrent INTEGER NOT NULL, \n'
        '\tarea VARCHAR(128), \n'
        '\telectors INTEGER, \n'
        '\tPRIMARY KEY (table_id, version)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
    (
        "CREATE INDEX ix_sheets_at_dispute_body ON sheets (table_id) WHERE current = 1 AND state = 'observed'"
    ),
    (
        'CREATE TABLE tree_heads (\n'
        '\tsize INTEGER NOT NULL, \n'
        '\tkey_id VARCHAR(64) NOT NULL, \n'
        '\troot VARCHAR(64) NOT NULL, \n'
        '\tlast_event VARCHAR(64) NOT NULL, \n'
        '\tlog VARCHAR(64) NOT NULL, \n'
        '\ttime VARCHAR(32) NOT NULL, \n'
        '\tpublic_key VARCHAR(64) NOT NULL, \n'
        '\tsignature VARCHAR(128) NOT NULL, \n'
        '\tPRIMARY KEY (size, key_id)\n'
        ')\n'
        ' WITHOUT ROWID'
    ),
)
