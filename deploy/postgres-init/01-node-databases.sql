-- One database per pilot node (docs/design.md §10), named pilot_<short id with underscores>
-- (pilot.network_plan.database_name). The postgres image runs this once, on a fresh data volume;
-- each node's Alembic migrations then create its tables.
CREATE DATABASE pilot_cn_port_01;
CREATE DATABASE pilot_cn_port_02;
CREATE DATABASE pilot_cn_port_03;
CREATE DATABASE pilot_ru_exp_01;
CREATE DATABASE pilot_ru_exp_02;
CREATE DATABASE pilot_ru_exp_03;
CREATE DATABASE pilot_ru_exp_04;
CREATE DATABASE pilot_ru_exp_05;
CREATE DATABASE pilot_ru_exp_06;
CREATE DATABASE pilot_registry;
