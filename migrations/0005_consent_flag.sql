-- Whether an offering user's user holds an active (non-revoked) consent to the offering,
-- kept on the row itself. The consent gate and the `has_consent` filter then test a column
-- of the rows they already read, instead of probing `consents` once per row. Consents
-- change rarely (the directory import); offering users are read all the time.

ALTER TABLE offering_users ADD COLUMN consented boolean NOT NULL DEFAULT false;

UPDATE offering_users ou SET consented = true
WHERE EXISTS (SELECT 1 FROM consents c WHERE c.user_id = ou.user_id AND c.offering_id = ou.offering_id
              AND c.revocation_date IS NULL);

-- A new or re-pointed offering user takes the consent state of its (user, offering).
CREATE FUNCTION offering_users_take_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.consented := EXISTS (SELECT 1 FROM consents c WHERE c.user_id = NEW.user_id
                             AND c.offering_id = NEW.offering_id AND c.revocation_date IS NULL);
    RETURN NEW;
END $$;
CREATE TRIGGER offering_users_take_consent_on_insert BEFORE INSERT ON offering_users
    FOR EACH ROW EXECUTE FUNCTION offering_users_take_consent();
CREATE TRIGGER offering_users_take_consent_on_move BEFORE UPDATE OF user_id, offering_id ON offering_users
    FOR EACH ROW EXECUTE FUNCTION offering_users_take_consent();

-- A consent given, revoked, moved or deleted updates the rows of the pairs it touches.
CREATE FUNCTION consents_propagate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE offering_users ou SET consented = EXISTS (
                SELECT 1 FROM consents c WHERE c.user_id = ou.user_id AND c.offering_id = ou.offering_id
                AND c.revocation_date IS NULL)
        WHERE ou.user_id = OLD.user_id AND ou.offering_id = OLD.offering_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE offering_users ou SET consented = (NEW.revocation_date IS NULL)
        WHERE ou.user_id = NEW.user_id AND ou.offering_id = NEW.offering_id
          AND ou.consented IS DISTINCT FROM (NEW.revocation_date IS NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER consents_propagate AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION consents_propagate();
